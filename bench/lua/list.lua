-- The network list in one page: GET /api/network/list/following/?page_size=SIZE with the
-- viewer's token (every client the same viewer, who follows exactly SIZE users).
-- wrk -tN -cN -s bench/lua/list.lua URL -- CLIENTS_FILE SIZE
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
  local path = "/api/network/list/following/?page_size=" .. args[2]
  request_text = wrk.format("GET", path, bearer(client_words(args[1])[1]))
end

function request()
  return request_text
end

function response(status)
  expect(status, 200, "GET list")
end
