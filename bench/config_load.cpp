// Config benchmark (issue 13): CPU time of loading, validating, resolving and printing configs at
// and beyond realistic sizes, and of refusing hostile ones (each refusal must be a ConfigError in
// bounded time). Inputs are synthesized in memory.
//
//   bench_config_load [reps] [filter]   (only the cases whose name contains `filter`)
//
// Each row: the minimum over `reps` runs (default 3) of thread CPU time, in milliseconds.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <string>
#include <vector>

#include "fmcib/config/config.hpp"

using fmcib::config::Config;

namespace {

double cpuMs() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

fmcib::config::Registry& registry() {
  static fmcib::config::Registry r;
  return r;
}

Config load(const std::string& yaml, const std::vector<fmcib::config::Override>& overrides = {}) {
  return Config::fromStrings({{"bench.yaml", yaml}}, overrides, registry());
}

std::string wideMap(int n) {
  std::string y = "vars:\n";
  for (int i = 0; i < n; ++i) y += "  k" + std::to_string(i) + ": " + std::to_string(i) + "\n";
  return y;
}

std::string chain(const std::string& form, int n) {
  std::string y = "vars:\n";
  for (int i = 0; i < n; ++i)
    y += "  a" + std::to_string(i) + ": '" + form + "vars#a" + std::to_string(i + 1) + "'\n";
  return y + "  a" + std::to_string(n) + ": 1\n";
}

std::string doubling(const std::string& form, int levels) {
  std::string y = "vars:\n  l0: " + std::string(form == "*" ? "&l0 " : "") + "[1, 1]\n";
  for (int i = 1; i <= levels; ++i) {
    const std::string p = "l" + std::to_string(i - 1);
    y += "  l" + std::to_string(i) + ": " +
         (form == "*" ? "&l" + std::to_string(i) + " [*" + p + ", *" + p + "]"
                      : "['" + form + "vars#" + p + "', '" + form + "vars#" + p + "']") +
         "\n";
  }
  return y;
}

// A case that must end in a ConfigError (anything else ends the benchmark).
std::function<void()> refused(std::function<void()> fn) {
  return [fn] {
    try {
      fn();
    } catch (const fmcib::ConfigError&) {
      return;
    }
    std::fprintf(stderr, "expected a ConfigError\n");
    std::exit(1);
  };
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  std::string list = "[";
  for (int i = 0; i < 50000; ++i) list += std::string(i ? "," : "") + "1";
  list += "]";
  const std::string sum = "vars:\n  x: '$1" + [] {
    std::string s;
    for (int i = 1; i < 100000; ++i) s += "+1";
    return s;
  }() + "'\n";
  const std::string wide = wideMap(100000);
  const std::vector<std::pair<const char*, std::function<void()>>> cases = {
      {"100k-key map: load", [&] { load(wide); }},
      {"100k-key map: load + validate + resolve + print",
       [&] {
         Config c = load(wide);
         c.validate();
         c.resolve("vars");
         c.printResolved();
       }},
      {"100 KB override value (50k-element list): load + print",
       [&] {
         load("vars: {x: 1}\n", {{"vars#x", list}}).printResolved();
       }},
      {"100 KB override value (one plain scalar): load + print",
       [&] {
         load("vars: {x: 1}\n", {{"vars#x", std::string(100000, 'a')}}).printResolved();
       }},
      {"100k-term sum expression: load + resolve", [&] { load(sum).resolve("vars#x"); }},
      {"50k-link @ chain: load + validate + refuse resolve", refused([] {
         Config c = load(chain("@", 50000));
         c.validate();
         c.resolve("vars#a0");
       })},
      {"20k-link % chain: refuse", refused([] { load(chain("%", 20000)); })},
      {"billion laughs (YAML aliases): refuse", refused([] { load(doubling("*", 40)); })},
      {"% doubling: refuse", refused([] { load(doubling("%", 40)); })},
      {"@ doubling: --print_config refuses", refused([] { load(doubling("@", 40)).printResolved(); })},
  };
  std::printf("| case | CPU ms (min of %d) |\n|---|---|\n", reps);
  const std::string filter = argc > 2 ? argv[2] : "";
  for (const auto& [name, fn] : cases) {
    if (std::string(name).find(filter) == std::string::npos) continue;
    double best = 1e300;
    for (int r = 0; r < reps; ++r) {
      const double t0 = cpuMs();
      fn();
      best = std::min(best, cpuMs() - t0);
    }
    std::printf("| %s | %.0f |\n", name, best);
  }
  return 0;
}
