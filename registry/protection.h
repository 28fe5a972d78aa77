// Protected identity (sekretessmarkering, skyddad folkbokföring; docs/api.md section 8): the codes that
// mark a protected Patient and a redacted copy of one. The rules of who sees what live in
// fhir/http/protection.h; the registry keeps the mark per patient (PatientFacts::is_protected).
#pragma once

namespace nara::protection {

// meta.security of a protected Patient: v3-Confidentiality#R (restricted). Set only by admin or import.
inline constexpr const char* kConfidentialitySystem = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
inline constexpr const char* kRestricted = "R";
// meta.security of a Patient returned without address, telecom, generalPractitioner and kommun.
inline constexpr const char* kObservationValueSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";
inline constexpr const char* kRedacted = "REDACTED";

}  // namespace nara::protection
