// One exception type for every user-facing problem (bad shapes, bad options,
// bad files). The CLI turns it into one error line and exit status 2.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace astrocnn {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown when a backend lacks an op; test harnesses report it as SKIP.
class NotImplemented : public Error {
 public:
  using Error::Error;
};

namespace detail {
template <class... Args>
std::string concat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
}  // namespace detail

}  // namespace astrocnn

// ASTRO_CHECK(cond, "message", values...): throws astrocnn::Error with the message.
#define ASTRO_CHECK(cond, ...)                                                  \
  do {                                                                          \
    if (!(cond)) throw ::astrocnn::Error(::astrocnn::detail::concat(__VA_ARGS__)); \
  } while (0)
