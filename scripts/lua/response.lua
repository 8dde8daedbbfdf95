-- A script with response() (wrk's setup.lua, reduced): every response's
-- status, headers and body cross into Lua.
responses = 0
response = function(status, headers, body)
  responses = responses + 1
end
