-- wrk script: cycle through the real page paths of the site (one a line in
-- the file named by WRK_PATHS), so the ceiling is measured on the same
-- requests the crawlers make rather than on one cached URL.
local paths = {}
local i = 0

function init(args)
  local f = assert(io.open(os.getenv("WRK_PATHS"), "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  -- each wrk thread starts at a different place in the list
  i = math.random(#paths) - 1
end

function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
