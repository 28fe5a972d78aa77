-- wrk script for bench/get_patient.sh: GET Patient/{id} for ids drawn at random from the file named by
-- PATIENT_IDS (one id per line), as an EHR reading many patients does, not one patient over and over.
local ids = {}
for line in io.lines(os.getenv("PATIENT_IDS")) do ids[#ids + 1] = line end
math.randomseed(os.time() + math.floor(os.clock() * 1000000))
request = function()
  return wrk.format("GET", "/fhir/Patient/" .. ids[math.random(#ids)])
end
