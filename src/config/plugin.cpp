// Loading a plug-in: every way a file can fail to be one of this build's plug-ins ends in one
// ConfigError naming it, before the plug-in's code runs (dlopen runs only its static initialisers).
#include "fmcib/config/plugin.hpp"

#include <dlfcn.h>

#include <filesystem>
#include <stdexcept>

#include "fmcib/config/error.hpp"

namespace fmcib::config {

namespace {

std::string firstLine(const char* s) {
  std::string out = s ? s : "unknown error";
  return out.substr(0, out.find('\n'));
}

bool isSharedLibraryName(const std::string& name) {
  const size_t so = name.find(".so");
  return so != std::string::npos && (so + 3 == name.size() || name[so + 3] == '.');
}

}  // namespace

void loadPlugin(const std::string& path, Registry& registry) {
  namespace fs = std::filesystem;
  const std::string what = "project: '" + path + "'";
  std::error_code ec;
  if (fs::is_directory(path, ec))
    throw ConfigError(what +
                      " is a folder: fmcib's project is a C++ plug-in (a .so that registers _target_s, "
                      "README 'Adding a _target_'), not a Python package");
  if (!fs::is_regular_file(path, ec)) throw ConfigError(what + " does not exist or is not a file");
  if (!isSharedLibraryName(fs::path(path).filename().string()))
    throw ConfigError(what +
                      " is not a shared library (.so): fmcib's project is a C++ plug-in that registers "
                      "_target_s (README 'Adding a _target_')");
  // A path without a slash would make dlopen search the library path instead of this file. The
  // handle stays open for the process: the registered builders are the plug-in's code.
  const std::string file = fs::absolute(path, ec).string();
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) throw ConfigError(what + " cannot be loaded: " + firstLine(dlerror()));
  using InterfaceFn = int (*)();
  using RegisterFn = void (*)(Registry&);
  auto interface = reinterpret_cast<InterfaceFn>(dlsym(handle, "fmcib_plugin_interface"));
  auto registerTargets = reinterpret_cast<RegisterFn>(dlsym(handle, "fmcib_register_targets"));
  if (!interface || !registerTargets)
    throw ConfigError(what +
                      " is no fmcib plug-in: it has no FMCIB_PLUGIN function (fmcib/config/plugin.hpp)");
  if (const int theirs = interface(); theirs != kPluginInterface)
    throw ConfigError(what + " was built for plug-in interface " + std::to_string(theirs) +
                      ", this fmcib has " + std::to_string(kPluginInterface) +
                      " (rebuild it with this fmcib's headers and LibTorch)");
  try {
    registerTargets(registry);
  } catch (const ConfigError& e) {
    throw ConfigError(what + ": " + e.what());
  } catch (const std::exception& e) {  // a name registered twice is a logic_error in the registry
    throw ConfigError(what + " failed to register its targets: " + firstLine(e.what()));
  }
}

}  // namespace fmcib::config
