-- GET /api/omnichannel/tickets/{ticketNumber} of a random known ticket.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
local numbers

init = function()
  numbers = common.read_numbers()
  math.randomseed(thread_id * 7919)
end

request = function()
  local number = numbers[math.random(#numbers)]
  return wrk.format("GET", "/api/omnichannel/tickets/" .. number, {["X-API-Key"] = common.key})
end
