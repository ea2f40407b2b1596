-- POST /api/omnichannel/tickets, each request with its own integration.requestId.
package.path = "bench/?.lua;" .. package.path
local common = require("common")

setup = common.number_threads

local counter = 0
local run = os.getenv("BENCH_RUN_ID")

request = function()
  counter = counter + 1
  local body = string.format(
    '{"channel":"WHATSAPP","channelReferenceId":"BENCH-%s-%d-%d","serviceType":"ATM_ISSUE",'
      .. '"customer":{"name":"Bench Customer","phone":"+6281234567890","identifier":"TEST-CIF-001","branchCode":"001"},'
      .. '"ticket":{"title":"Card retained","description":"ATM kept the card","metadata":{"atmId":"ATM-TEST-001"}},'
      .. '"integration":{"requestId":"BENCH-%s-%d-%d"}}',
    run, thread_id, counter, run, thread_id, counter)
  return wrk.format("POST", "/api/omnichannel/tickets",
    {["X-API-Key"] = common.key, ["Content-Type"] = "application/json"}, body)
end
