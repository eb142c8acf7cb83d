-- Sign-in: POST /auth/user/ with the client's username and password (200), each client its
-- own user; the password check is most of its cost.
-- wrk -t8 -c8 -s bench/lua/login.lua URL -- LOGINS_FILE   (a line: username password)
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
  local words = client_words(args[1])
  local body = string.format('{"username": "%s", "password": "%s"}', words[1], words[2])
  request_text = wrk.format("POST", "/auth/user/", { ["Content-Type"] = "application/json" }, body)
end

function request()
  return request_text
end

function response(status)
  expect(status, 200, "POST /auth/user/")
end
