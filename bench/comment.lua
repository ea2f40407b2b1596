-- PATCH /api/omnichannel/tickets/{ticketNumber} with ADD_COMMENT on a random known ticket.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
local numbers

init = function()
  numbers = common.read_numbers()
  math.randomseed(thread_id * 15485863)
end

local counter = 0
local run = os.getenv("BENCH_RUN_ID")

request = function()
  counter = counter + 1
  local number = numbers[math.random(#numbers)]
  return wrk.format("PATCH", "/api/omnichannel/tickets/" .. number,
    {["X-API-Key"] = common.key, ["Content-Type"] = "application/json"},
    string.format('{"action":"ADD_COMMENT","comment":"Any update? BENCH-%s-%d-%d"}', run, thread_id, counter))
end
