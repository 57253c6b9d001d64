-- wrk script for the harness (bench/load.py sets the environment):
--   BENCH_METHOD, BENCH_BODY, BENCH_HEADERS ("Name: value" lines) for a fixed request, or
--   BENCH_STYLE (toolcrib|flask|datasette), BENCH_ROWS, BENCH_STRIDE, BENCH_THREADS for writes:
--   each request updates a different row (see bench/workloads.py), sending version 1.
-- done() prints one line "BENCH_STATUS {json}" with the count of each HTTP status.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function parse_headers(text)
  local headers = {}
  for line in string.gmatch(text or "", "[^\n]+") do
    local name, value = string.match(line, "^([^:]+):%s*(.*)$")
    if name then headers[name] = value end
  end
  return headers
end

function init(args)
  method = os.getenv("BENCH_METHOD") or "GET"
  body = os.getenv("BENCH_BODY")
  if body == "" then body = nil end
  headers = parse_headers(os.getenv("BENCH_HEADERS"))
  style = os.getenv("BENCH_STYLE") or ""
  rows = tonumber(os.getenv("BENCH_ROWS") or "0")
  stride = tonumber(os.getenv("BENCH_STRIDE") or "1")
  step = tonumber(os.getenv("BENCH_THREADS") or "1")
  n = tid
  statuses = {}
end

local function update_body(id)
  local num = string.format("SF%012d", id)
  if style == "toolcrib" then
    return string.format('{"state":{"ordersTable":{"selectedRow":{"id":%d,"version":1}},'
      .. '"shippingCompany":{"value":"SF"},"shippingNumberInput":{"value":"%s"}},'
      .. '"rowFormat":"arrays"}', id, num)
  elseif style == "flask" then
    return string.format('{"company":"SF","num":"%s","id":%d,"version":1}', num, id)
  else
    return string.format("company=SF&num=%s&id=%d&version=1", num, id)
  end
end

function request()
  if style == "" then
    return wrk.format(method, nil, headers, body)
  end
  local id = (n * stride) % rows + 1
  n = n + step
  return wrk.format(method, nil, headers, update_body(id))
end

function response(status, hdrs, resp_body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local got = thread:get("statuses")
    for status, count in pairs(got) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d":%d', status, count))
  end
  io.write("BENCH_STATUS {" .. table.concat(parts, ",") .. "}\n")
end
