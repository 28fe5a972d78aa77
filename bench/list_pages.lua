-- wrk script for bench/list_search.sh: a doctor's list is more than one page (_count is at most 1000),
-- so each thread asks for the pages in turn, as a client reading the whole list does. The pages are
-- the paths in LIST_PAGES, separated by spaces.
local pages = {}
for path in string.gmatch(os.getenv("LIST_PAGES") or "", "%S+") do pages[#pages + 1] = path end
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", pages[(n - 1) % #pages + 1])
end
