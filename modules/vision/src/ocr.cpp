#include "tyto/vision/ocr.hpp"

#include "detail/mat.hpp"
#include "tyto/core/error.hpp"

#include <fmt/format.h>
#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace tyto::vision {
namespace {

namespace fs = std::filesystem;

bool has_model(const fs::path& dir, const std::string& language) {
  std::error_code ec;
  return fs::is_regular_file(dir / (language + ".traineddata"), ec);
}

using Engine = std::unique_ptr<tesseract::TessBaseAPI>;

std::string utf8_text(const tesseract::ResultIterator& it, tesseract::PageIteratorLevel level) {
  std::unique_ptr<char[]> text(it.GetUTF8Text(level));
  std::string out = text ? text.get() : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

Box box_at(const tesseract::ResultIterator& it, tesseract::PageIteratorLevel level, double scale) {
  int left = 0, top = 0, right = 0, bottom = 0;
  it.BoundingBox(level, &left, &top, &right, &bottom);
  auto back = [&](int v) { return static_cast<int>(std::lround(v / scale)); };
  return {back(left), back(top), back(right) - back(left), back(bottom) - back(top)};
}

// Words grouped into lines, from the engine's last recognition.
OcrResult collect(tesseract::TessBaseAPI& api, const OcrOptions& options, double scale) {
  OcrResult result;
  std::unique_ptr<tesseract::ResultIterator> it(api.GetIterator());
  if (!it) return result;
  OcrLine* line = nullptr;
  do {
    if (it->Empty(tesseract::RIL_WORD)) continue;
    if (line == nullptr || it->IsAtBeginningOf(tesseract::RIL_TEXTLINE)) {
      line = &result.lines.emplace_back();
      line->box = box_at(*it, tesseract::RIL_TEXTLINE, scale);
      line->confidence = it->Confidence(tesseract::RIL_TEXTLINE);
    }
    OcrWord word{utf8_text(*it, tesseract::RIL_WORD), box_at(*it, tesseract::RIL_WORD, scale),
                 it->Confidence(tesseract::RIL_WORD)};
    if (!word.text.empty() && word.confidence >= options.min_confidence) line->words.push_back(std::move(word));
  } while (it->Next(tesseract::RIL_WORD));
  std::erase_if(result.lines, [](const OcrLine& l) { return l.words.empty(); });
  for (auto& l : result.lines)
    for (const auto& w : l.words) l.text += (l.text.empty() ? "" : " ") + w.text;
  return result;
}

}  // namespace

std::string OcrResult::text() const {
  std::string out;
  for (const auto& line : lines) out += (out.empty() ? "" : "\n") + line.text;
  return out;
}

std::size_t OcrResult::word_count() const {
  std::size_t n = 0;
  for (const auto& line : lines) n += line.words.size();
  return n;
}

std::string find_tessdata(const std::string& language) {
  if (const char* prefix = std::getenv("TESSDATA_PREFIX"); prefix && *prefix) {
    for (const fs::path& dir : {fs::path(prefix), fs::path(prefix) / "tessdata"})
      if (has_model(dir, language)) return dir.string();
  }
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/share/tesseract-ocr", ec))
    if (has_model(entry.path() / "tessdata", language)) found.push_back(entry.path() / "tessdata");
  if (found.empty()) return {};
  std::sort(found.begin(), found.end());  // "4.00" < "5": the newest last
  return found.back().string();
}

struct OcrPool::Impl {
  Options options;
  std::mutex mutex;
  std::condition_variable returned;
  std::vector<Engine> idle;  // guarded by mutex
  std::size_t created = 0;   // guarded by mutex: idle + checked out

  Engine make_engine() const {
    if (options.tessdata.empty() || !has_model(options.tessdata, options.language))
      throw Error(ErrorCode::kUnavailable,
                  fmt::format("the Tesseract model {}.traineddata was not found (tessdata: '{}'; install "
                              "tesseract-ocr-{} or set TESSDATA_PREFIX)",
                              options.language, options.tessdata, options.language));
    auto api = std::make_unique<tesseract::TessBaseAPI>();
    api->SetVariable("debug_file", "/dev/null");  // no "Estimating resolution" chatter on stderr
    if (api->Init(options.tessdata.c_str(), options.language.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
      throw Error(ErrorCode::kUnavailable, fmt::format("Tesseract could not load {}", options.language));
    return api;
  }

  Engine checkout() {
    std::unique_lock lock(mutex);
    returned.wait(lock, [&] { return !idle.empty() || created < options.size; });
    if (!idle.empty()) {
      Engine e = std::move(idle.back());
      idle.pop_back();
      return e;
    }
    ++created;
    lock.unlock();
    try {
      return make_engine();
    } catch (...) {
      lock.lock();
      --created;
      returned.notify_one();
      throw;
    }
  }

  void give_back(Engine e) {
    e->Clear();
    std::lock_guard lock(mutex);
    idle.push_back(std::move(e));
    returned.notify_one();
  }
};

OcrPool::OcrPool(Options options) : impl_(std::make_unique<Impl>()) {
  if (options.size == 0) options.size = 1;
  if (options.tessdata.empty()) options.tessdata = find_tessdata(options.language);
  impl_->options = std::move(options);
}

OcrPool::~OcrPool() = default;

std::size_t OcrPool::size() const noexcept { return impl_->options.size; }
const std::string& OcrPool::tessdata() const noexcept { return impl_->options.tessdata; }

std::size_t OcrPool::engines_created() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->created;
}

void OcrPool::warm_up() { impl_->give_back(impl_->checkout()); }

OcrResult OcrPool::recognize(const Image& image, const OcrOptions& options) {
  detail::check_image(image);
  if (options.upscale <= 0 || options.upscale > 8)
    throw validation_error("upscale must be in (0, 8]", {{"upscale", "must be in (0, 8]"}});
  if (options.page_segmentation < 0 || options.page_segmentation > 13)
    throw validation_error("page_segmentation must be 0..13", {{"page_segmentation", "must be 0..13"}});
  // Tesseract binarises internally; grey input costs a third of the copying.
  cv::Mat grey;
  const cv::Mat src = detail::view(image);
  if (image.channels == 1)
    grey = src;
  else
    cv::cvtColor(src, grey, image.channels == 3 ? cv::COLOR_RGB2GRAY : cv::COLOR_RGBA2GRAY);
  if (options.upscale != 1.0)
    cv::resize(grey, grey, cv::Size(), options.upscale, options.upscale,
               options.upscale > 1 ? cv::INTER_CUBIC : cv::INTER_AREA);
  if (!grey.isContinuous()) grey = grey.clone();

  Engine engine = impl_->checkout();
  struct Return {
    Impl& pool;
    Engine& engine;
    ~Return() { pool.give_back(std::move(engine)); }
  } on_exit{*impl_, engine};
  engine->SetPageSegMode(static_cast<tesseract::PageSegMode>(options.page_segmentation));
  engine->SetImage(grey.data, grey.cols, grey.rows, 1, static_cast<int>(grey.step));
  engine->SetSourceResolution(static_cast<int>(std::lround(options.dpi * options.upscale)));
  if (engine->Recognize(nullptr) != 0) throw Error(ErrorCode::kInternal, "Tesseract failed to recognise the image");
  return collect(*engine, options, options.upscale);
}

}  // namespace tyto::vision
