-- PATCH /api/omnichannel/tickets/{ticketNumber} with ADD_COMMENT on a random known ticket.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
local numbers

init = function()
  numbers = common.read_numbers()
  math.randomseed(thread_id * 15485863)
end

request = function()
  local number = numbers[math.random(#numbers)]
  return wrk.format("PATCH", "/api/omnichannel/tickets/" .. number,
    {["X-API-Key"] = common.key, ["Content-Type"] = "application/json"},
    '{"action":"ADD_COMMENT","comment":"Customer asks for an update"}')
end
