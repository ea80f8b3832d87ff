#include "kop/protocol/testing.h"

namespace kop::protocol::testing {

RecordsRef SampleRecords() {
  static constexpr uint8_t kBytes[] = {0, 1, 2, 3, 4, 5, 6, 7, 0xfe, 0xff};
  return RecordsRef::Of(kBytes);
}

}  // namespace kop::protocol::testing
