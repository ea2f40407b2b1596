-- PATCH /api/omnichannel/tickets/{ticketNumber} with ADD_COMMENT on a random known ticket.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
init = common.numbers_init(15485863)

local counter = 0
local run = os.getenv("BENCH_RUN_ID")

request = function()
  counter = counter + 1
  local number = common.random_number()
  return wrk.format("PATCH", "/api/omnichannel/tickets/" .. number,
    {["X-API-Key"] = common.key, ["Content-Type"] = "application/json"},
    string.format('{"action":"ADD_COMMENT","comment":"Any update? BENCH-%s-%d-%d"}', run, thread_id, counter))
end
