-- A dynamic script (wrk's counter.lua): request() builds every request,
-- with a per-thread counter in the path and a header.
counter = 0
request = function()
  path = "/" .. counter
  wrk.headers["X-Counter"] = counter
  counter = counter + 1
  return wrk.format(nil, path)
end
