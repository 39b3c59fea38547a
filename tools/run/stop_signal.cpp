#include "tools/run/stop_signal.h"

#include <signal.h>

#include <csignal>

namespace astrocnn::cli {

namespace {

constexpr int kStopSignals[] = {SIGTERM, SIGINT, SIGUSR1};

volatile std::sig_atomic_t g_received = 0;
struct sigaction g_previous[sizeof kStopSignals / sizeof kStopSignals[0]];

// All a handler may safely do: note the first signal. Later ones are ignored.
extern "C" void note_stop_signal(int signal) {
  if (g_received == 0) g_received = signal;
}

}  // namespace

StopSignals::StopSignals() {
  g_received = 0;
  struct sigaction action = {};
  action.sa_handler = note_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // reads and writes in progress carry on
  for (size_t i = 0; i < sizeof kStopSignals / sizeof kStopSignals[0]; ++i)
    sigaction(kStopSignals[i], &action, &g_previous[i]);
}

StopSignals::~StopSignals() {
  for (size_t i = 0; i < sizeof kStopSignals / sizeof kStopSignals[0]; ++i)
    sigaction(kStopSignals[i], &g_previous[i], nullptr);
}

int StopSignals::received() { return g_received; }

const char* StopSignals::name(int signal) {
  switch (signal) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    case SIGUSR1: return "SIGUSR1";
    default: return "a signal";
  }
}

}  // namespace astrocnn::cli
