-- The authenticated ceiling: GET /api/network/settings/ (the cheapest authenticated
-- request: the token checked, the user loaded, a constant answer), each client its own user.
-- wrk -t8 -c8 -s bench/lua/ceiling.lua URL -- CLIENTS_FILE
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
  request_text = wrk.format("GET", "/api/network/settings/", bearer(client_words(args[1])[1]))
end

function request()
  return request_text
end

function response(status)
  expect(status, 200, "GET settings")
end
