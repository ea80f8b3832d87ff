#include "kop/protocol/errors.h"

#include <catch2/catch.hpp>
#include <string>

namespace kop::protocol {
namespace {

TEST_CASE("error codes carry Kafka's names and numbers", "[codec]") {
  CHECK(Code(ErrorCode::NONE) == 0);
  CHECK(Code(ErrorCode::UNKNOWN_SERVER_ERROR) == -1);
  CHECK(Code(ErrorCode::CORRUPT_MESSAGE) == 2);
  CHECK(Code(ErrorCode::UNKNOWN_TOPIC_OR_PARTITION) == 3);
  CHECK(Code(ErrorCode::UNSUPPORTED_VERSION) == 35);
  CHECK(Code(ErrorCode::UNSUPPORTED_COMPRESSION_TYPE) == 76);
  CHECK(Code(ErrorCode::INVALID_RECORD) == 87);
  CHECK(std::string(ErrorName(16)) == "NOT_COORDINATOR");
  CHECK(std::string(ErrorName(12345)) == "UNKNOWN_SERVER_ERROR");
}

}  // namespace
}  // namespace kop::protocol
