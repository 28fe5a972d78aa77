// The geography of `nara synth`: Sweden's 21 regions and 290 kommuner with their real four-digit
// kommunkoder (SCB; the first two digits are the län, which is the region). Populations are
// approximate (2023–24 figures, rounded) for the 188 largest kommuner; the other 102 share the rest
// of the national total with a fixed spread. Synthetic data only needs the shape to be right.
#pragma once

#include <string>
#include <vector>

namespace nara::app::synth {

struct Kommun {
  const char* code;  // kommunkod, e.g. "0180"
  const char* name;
  int population;
};

struct Region {
  std::string county;  // länskod, the first two digits of its kommuners' codes
  std::string name;
};

// The 290 kommuner in code order.
const std::vector<Kommun>& Kommuner();
// The 21 regions in länskod order.
const std::vector<Region>& Regions();

}  // namespace nara::app::synth
