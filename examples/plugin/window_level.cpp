// An fmcib plug-in: a project's own transform, usable in configs as
//   project: path/to/libmyproject.so
//   ... {_target_: myproject.transforms.WindowLevel, window: 400, level: 40}
// CT window/level as a radiologist reads a scan: HU in [level - window/2, level + window/2] mapped
// linearly to [0, 1], values outside clipped.
#include <ATen/ATen.h>

#include "fmcib/config/plugin.hpp"
#include "fmcib/transforms/transform.hpp"

namespace myproject {

class WindowLevel : public fmcib::transforms::Transform {
 public:
  WindowLevel(double window, double level) : window_(window), level_(level) {}
  at::Tensor operator()(const at::Tensor& x, fmcib::transforms::Generator&) const override {
    const double low = level_ - window_ / 2;
    return ((x.to(at::kFloat) - low) / window_).clamp(0.0, 1.0);
  }
  std::string name() const override { return "myproject.transforms.WindowLevel"; }

 private:
  double window_, level_;
};

}  // namespace myproject

FMCIB_PLUGIN(registry) {
  using namespace fmcib::config;
  registry.add({"myproject.transforms.WindowLevel",
                "CT window/level: HU in [level - window/2, level + window/2] to [0, 1], clipped",
                {required("window", kNumber, "window width in HU (> 0)"),
                 arg("level", kNumber, 40.0, "window centre in HU")},
                [](const Args& a) {
                  const double window = a.getDouble("window");
                  if (!(window > 0)) a.fail("window", "must be > 0");
                  return Value::object<fmcib::transforms::Transform>(
                      std::make_shared<myproject::WindowLevel>(window, a.getDouble("level")), a.target());
                }});
}
