-- wrk script for bench/api.py: GET a random id from IDS_FILE in PATH_PATTERN with a bearer token.
local ids = {}
for line in io.lines(os.getenv("IDS_FILE")) do ids[#ids + 1] = line end
local pattern = os.getenv("PATH_PATTERN")
local token = os.getenv("TOKEN")
math.randomseed(1)
request = function()
  local path = string.gsub(pattern, "{id}", ids[math.random(#ids)])
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
