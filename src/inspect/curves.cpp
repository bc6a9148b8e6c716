// Training curves: metrics.csv → panels of lines (see curves.hpp).
#include "fmcib/inspect/curves.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>

#include "fmcib/config/error.hpp"
#include "fmcib/io/csv.hpp"

namespace fmcib::inspect {

namespace {

constexpr int kPanelHeight = 230, kLeft = 78, kRight = 16, kTop = 22, kBottom = 30;

std::string tickText(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

/// Round tick values (1, 2 or 5 times a power of ten apart, at least `minStep`) inside [lo, hi].
std::vector<double> niceTicks(double lo, double hi, double minStep) {
  const double raw = std::max((hi - lo) / 5.0, minStep);
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = power;
  for (const double m : {1.0, 2.0, 5.0, 10.0})
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  step = std::max(step, minStep);
  std::vector<double> ticks;
  for (double t = std::ceil(lo / step) * step; t <= hi + 1e-9 * step && ticks.size() < 20; t += step)
    ticks.push_back(std::abs(t) < 1e-12 * step ? 0.0 : t);
  return ticks;
}

struct Panel {
  std::string title;
  std::vector<const MetricSeries*> series;
};

void drawPanel(RgbImage& img, int y0, int width, const Panel& panel, const std::vector<double>& epochStarts,
               double xmin, double xmax) {
  const int px = kLeft, py = y0 + kTop, pw = width - kLeft - kRight, ph = kPanelHeight - kTop - kBottom;
  double ymin = 0, ymax = 0;
  bool any = false;
  for (const MetricSeries* s : panel.series)
    for (const auto& [x, y] : s->points) {
      ymin = any ? std::min(ymin, y) : y;
      ymax = any ? std::max(ymax, y) : y;
      any = true;
    }
  if (ymax - ymin < 1e-12 * std::max(1.0, std::abs(ymax))) {
    const double pad = std::abs(ymax) > 0 ? 0.1 * std::abs(ymax) : 1.0;
    ymin -= pad;
    ymax += pad;
  } else {
    const double pad = 0.05 * (ymax - ymin);
    ymin -= pad;
    ymax += pad;
  }
  const double xspan = xmax > xmin ? xmax - xmin : 1.0;
  auto toX = [&](double x) { return px + static_cast<int>(std::lround((x - xmin) / xspan * (pw - 1))); };
  auto toY = [&](double y) {
    return py + ph - 1 - static_cast<int>(std::lround((y - ymin) / (ymax - ymin) * (ph - 1)));
  };

  img.text(px, y0 + 6, panel.title, colors::kBlack);
  for (double e : epochStarts)
    if (e > xmin && e <= xmax) img.line(toX(e), py, toX(e), py + ph - 1, {235, 235, 235});
  for (const double yv : niceTicks(ymin, ymax, 1e-300)) {
    const int ty = toY(yv);
    img.line(px - 4, ty, px - 1, ty, colors::kBlack);
    const std::string ys = tickText(yv);
    img.text(px - 6 - textWidth(ys), ty - 3, ys, colors::kBlack);
  }
  for (const double xv : niceTicks(xmin, xmin + xspan, 1.0)) {  // steps are integers
    const int tx = toX(xv);
    img.line(tx, py + ph, tx, py + ph + 3, colors::kBlack);
    const std::string xs = tickText(xv);
    img.text(std::clamp(tx - textWidth(xs) / 2, 0, width - textWidth(xs)), py + ph + 6, xs, colors::kBlack);
  }
  img.text(px + pw - textWidth("STEP"), py + ph + 16, "STEP", colors::kGrey);
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const Color c = seriesColor(i);
    const auto& pts = panel.series[i]->points;
    for (size_t k = 0; k < pts.size(); ++k) {
      const int x = toX(pts[k].first), y = toY(pts[k].second);
      if (k > 0) img.line(toX(pts[k - 1].first), toY(pts[k - 1].second), x, y, c);
      if (pts.size() <= 60) img.fillRect(x - 1, y - 1, 3, 3, c);
    }
  }
  img.strokeRect(px - 1, py - 1, pw + 2, ph + 2, colors::kBlack);
  // Legend in the top-right corner, on white so lines under it stay readable.
  int legendWidth = 0;
  for (const MetricSeries* s : panel.series) legendWidth = std::max(legendWidth, textWidth(s->name) + 14);
  const int lx = px + pw - legendWidth - 6, ly = py + 4;
  img.fillRect(lx - 3, ly - 3, legendWidth + 6, static_cast<int>(panel.series.size()) * 10 + 4,
               colors::kWhite);
  for (size_t i = 0; i < panel.series.size(); ++i) {
    const int y = ly + static_cast<int>(i) * 10;
    img.fillRect(lx, y + 1, 8, 5, seriesColor(i));
    img.text(lx + 12, y, panel.series[i]->name, colors::kBlack);
  }
}

}  // namespace

MetricsLog readMetricsCsv(const std::string& path) {
  const io::CsvTable t = io::CsvTable::read(path);
  const auto stepCol = t.findColumn("step");
  if (!stepCol) throw InputError(path + " has no 'step' column; it is not a Lightning CSVLogger metrics.csv");
  const auto epochCol = t.findColumn("epoch");
  MetricsLog log;
  log.path = path;
  std::vector<size_t> cols;
  for (size_t c = 0; c < t.header().size(); ++c)
    if (c != *stepCol && (!epochCol || c != *epochCol)) {
      cols.push_back(c);
      log.series.push_back({t.header()[c], {}});
    }
  double lastEpoch = NAN;
  for (size_t r = 0; r < t.numRows(); ++r) {
    const double step = t.number(r, *stepCol);
    if (epochCol && !t.cell(r, *epochCol).empty()) {
      const double e = t.number(r, *epochCol);
      if (!std::isnan(lastEpoch) && e != lastEpoch) log.epochStarts.push_back(step);
      lastEpoch = e;
    }
    for (size_t k = 0; k < cols.size(); ++k) {
      const std::string& cell = t.cell(r, cols[k]);
      if (cell.empty()) continue;
      char* end = nullptr;
      const double v = std::strtod(cell.c_str(), &end);
      if (end != cell.c_str() + cell.size())
        throw InputError(t.where(r, cols[k]) + ": '" + cell + "' is not a number");
      if (std::isfinite(v)) log.series[k].points.emplace_back(step, v);
    }
  }
  return log;
}

RgbImage plotCurves(const MetricsLog& log, int width) {
  Panel loss{"LOSS", {}}, lr{"LEARNING RATE", {}}, metrics{"METRICS", {}};
  double xmin = 0, xmax = 0;
  bool any = false;
  auto endsWith = [](const std::string& a, const std::string& b) {
    return a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
  };
  for (const MetricSeries& s : log.series) {
    if (s.points.empty()) continue;
    // Evaluation step values count Lightning's evaluation steps, not optimizer steps: another x axis.
    if ((s.name.rfind("val/", 0) == 0 || s.name.rfind("test/", 0) == 0) && endsWith(s.name, "/step"))
      continue;
    for (const auto& p : s.points) {
      xmin = any ? std::min(xmin, p.first) : p.first;
      xmax = any ? std::max(xmax, p.first) : p.first;
      any = true;
    }
    if (s.name.find("loss") != std::string::npos)
      loss.series.push_back(&s);
    else if (s.name.rfind("lr-", 0) == 0 || s.name == "lr" || s.name.find("/optimizer/") != std::string::npos)
      lr.series.push_back(&s);
    else
      metrics.series.push_back(&s);
  }
  std::vector<const Panel*> panels;
  for (const Panel* p : {&loss, &lr, &metrics})
    if (!p->series.empty()) panels.push_back(p);
  const std::string title = "TRAINING CURVES: " + log.path;
  const int headerHeight = 2 * textHeight() + 6;
  RgbImage img(width, headerHeight + std::max<int>(1, static_cast<int>(panels.size())) * kPanelHeight,
               colors::kWhite);
  img.text(8, 6, title, colors::kBlack);
  if (panels.empty()) {
    img.text(kLeft, headerHeight + kPanelHeight / 2, "NO DATA", colors::kGrey, 2);
    return img;
  }
  for (size_t i = 0; i < panels.size(); ++i)
    drawPanel(img, headerHeight + static_cast<int>(i) * kPanelHeight, width, *panels[i], log.epochStarts,
              xmin, xmax);
  return img;
}

void writeCurves(const std::string& metricsCsv, const std::string& pngPath) {
  writePng(plotCurves(readMetricsCsv(metricsCsv)), pngPath);
}

}  // namespace fmcib::inspect
