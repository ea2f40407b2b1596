-- GET /api/omnichannel/tickets?ticketNumber=... with 50 known numbers.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads
init = common.numbers_init(104729)

request = function()
  local numbers = common.numbers
  local start = math.random(#numbers - 50)
  local query = {}
  for i = start, start + 49 do
    query[#query + 1] = "ticketNumber=" .. numbers[i]
  end
  return wrk.format("GET", "/api/omnichannel/tickets?pageSize=50&" .. table.concat(query, "&"),
    {["X-API-Key"] = common.key})
end
