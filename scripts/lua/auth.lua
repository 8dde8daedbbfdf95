-- A static script (wrk's auth.lua): headers set once, at the top level.
-- gowrk builds the request once; it costs nothing per request.
token = "secret-token-for-benchmarks"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"
