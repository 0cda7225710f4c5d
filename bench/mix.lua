-- wrk script: the stress test's request mix on the whole stack.
-- Per 20 requests: 9 creates, 8 GETs of created ids, 2 searches with the
-- official terms, 1 search without t (the Rinha profile's proportions at
-- its peak, roughly). Apelidos are unique per thread and run.
local counter, thread_id, ids, terms = 0, 0, {}, {}
local seq = {"c","g","c","g","c","s","c","g","c","g","c","g","c","g","c","s","c","g","c","i"}

function setup(thread)
  setup_n = (setup_n or 0) + 1
  thread:set("thread_id", setup_n)
end

function init(args)
  -- BENCH_TERMS: set by scripts/bench.sh from its DATA (scripts/data.sh)
  local f = io.open(os.getenv("BENCH_TERMS") or "build/data/generated/termos-busca.tsv")
  if f then
    f:read("*l")
    for line in f:lines() do terms[#terms + 1] = line end
    f:close()
  end
  if #terms == 0 then terms = {"node"} end
  math.randomseed(os.time() + thread_id)
end

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local stacks = {'["C","Go"]', 'null', '["Rust","Python","Java"]', '[]'}

function request()
  counter = counter + 1
  local kind = seq[(counter - 1) % #seq + 1]
  if kind == "g" and #ids > 0 then
    return wrk.format("GET", ids[math.random(#ids)])
  elseif kind == "s" then
    return wrk.format("GET", "/pessoas?t=" .. urlencode(terms[(counter % #terms) + 1]))
  elseif kind == "i" then
    return wrk.format("GET", "/pessoas")
  end
  local body = string.format('{"apelido":"b%d_%d_%d","nome":"Bench Person %d","nascimento":"1990-0%d-1%d","stack":%s}',
    thread_id, os.time() % 100000, counter, counter, counter % 9 + 1, counter % 10, stacks[counter % 4 + 1])
  return wrk.format("POST", "/pessoas", {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  local loc = headers["Location"]
  if loc and #ids < 100000 then ids[#ids + 1] = loc end
end
