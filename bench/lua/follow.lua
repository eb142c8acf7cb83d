-- Follow+unfollow: each client follows one of its own targets (201), unfollows it (200), and
-- moves to the next; one op per request (bench/wrk.py removes the links a run leaves).
-- wrk -t8 -c8 -s bench/lua/follow.lua URL -- CLIENTS_FILE   (a line: token target1 target2 ...)
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
  local words = client_words(args[1])
  headers = bearer(words[1])
  targets = { unpack(words, 2) }
  current = 1
  following = false
end

function request()
  if following then
    return wrk.format("DELETE", "/api/network/unfollow/" .. targets[current] .. "/", headers)
  end
  return wrk.format("POST", "/api/network/follow/" .. targets[current] .. "/", headers)
end

function response(status)
  if following then
    expect(status, 200, "unfollow")
    current = current % #targets + 1
  else
    expect(status, 201, "follow")
  end
  following = not following
end
