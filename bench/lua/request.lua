-- METHOD PATH, STATUS expected, a JSON BODY if given: the authenticated ceiling (GET
-- /api/network/settings/), the network list (?page_size=N: one page), a history of checklists,
-- the checklist of the day found (POST /api/checklists/, 200), sign-in. A client's line starts
-- with its token ("-": none); BODY "@line": the line's second word (sign-in: name and password).
-- wrk -tN -cN -s bench/lua/request.lua URL -- CLIENTS_FILE METHOD PATH STATUS [BODY]
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "common.lua")

function init(args)
  local words = client_words(args[1])
  local headers = words[1] ~= "-" and bearer(words[1]) or {}
  local body = args[5] == "@line" and words[2] or args[5]
  if body then
    headers["Content-Type"] = "application/json"
  end
  request_text = wrk.format(args[2], args[3], headers, body)
  wanted, what = tonumber(args[4]), args[2] .. " " .. args[3]
end

function request()
  return request_text
end

function response(status)
  expect(status, wanted, what)
end
