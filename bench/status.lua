-- GET /api/omnichannel/tickets/{ticketNumber} of a random known ticket.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
init = common.numbers_init(7919)

request = function()
  local number = common.random_number()
  return wrk.format("GET", "/api/omnichannel/tickets/" .. number, {["X-API-Key"] = common.key})
end
