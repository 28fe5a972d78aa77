#include "fhir/conformance/subscription_capability.h"

#include "fhir/json/bundle.h"
#include "fhir/resources/subscription_resource.h"
#include "registry/subscription.h"

namespace nara::fhir {

std::string SubscriptionCapabilityJson() {
  std::string topics;
  for (Topic topic : AllTopics()) {
    topics += std::string(topics.empty() ? "" : ",") +
              "{\"url\":\"http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
              "capabilitystatement-subscriptiontopic-canonical\",\"valueCanonical\":" +
              JsonString(TopicUrl(topic)) + "}";
  }
  return "{\"extension\":[" + topics + "],\"type\":\"Subscription\",\"profile\":" +
         JsonString(backport::kSubscriptionProfile) +
         ",\"documentation\":" +
         JsonString("Change notifications (R5 Backport IG on R4): criteria = a topic listed in the extensions "
                    "(listing-change, fixed-contact-change, saebo-change, patient-death, waitlist-change, "
                    "patientkontrakt-change, residence-change), filters managing-organization and patient, "
                    "rest-hook over mutual TLS to allowlisted https endpoints; ehr, municipality and admin; "
                    "each client sees its own") +
         ",\"interaction\":[{\"code\":\"create\"},{\"code\":\"read\"},{\"code\":\"update\"},{\"code\":\"delete\"},"
         "{\"code\":\"search-type\"}],"
         "\"searchParam\":[{\"name\":\"status\",\"type\":\"token\",\"documentation\":"
         "\"requested | active | error | off\"}],"
         "\"operation\":[{\"name\":\"status\",\"definition\":"
         "\"http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-status\","
         "\"documentation\":\"GET Subscription/[id]/$status: the status Parameters\"},"
         "{\"name\":\"events\",\"definition\":"
         "\"http://hl7.org/fhir/uv/subscriptions-backport/OperationDefinition/backport-subscription-events\","
         "\"documentation\":\"GET Subscription/[id]/$events?eventsSinceNumber=&eventsUntilNumber=&content=: "
         "past events again, for catch-up\"}]}";
}

}  // namespace nara::fhir
