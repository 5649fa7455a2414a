//===- RunSupport.cpp - what every moec run / bench path shares -----------===//

#include "RunSupport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <vector>

using namespace moec;

rt::Expected<std::shared_ptr<rt::Device>>
moec::tool::openRunDevice(const CompiledModule &compiled, bool emulate,
                          int index) {
  rt::DeviceKind kind = compiled.target->isHost() || emulate
                            ? rt::DeviceKind::Host
                        : compiled.target->isNVPTX() ? rt::DeviceKind::Cuda
                                                     : rt::DeviceKind::Hip;
  return rt::Device::open(kind, index);
}

rt::Expected<std::shared_ptr<rt::Module>>
moec::tool::loadCompiled(rt::Device &dev, const CompiledModule &compiled) {
  return compiled.target->isHost() ? dev.loadHostModule(compiled.hostKernels)
                                   : dev.loadModule(compiled.image);
}

rt::Expected<rt::Buffer> moec::tool::uploadBytes(rt::Device &dev,
                                                 const void *data,
                                                 size_t bytes) {
  auto buf = dev.allocate(std::max<size_t>(bytes, 16));
  if (!buf.ok())
    return buf.status();
  if (bytes)
    if (rt::Status s = buf->copyFromHost(data, bytes); !s.ok())
      return s;
  return buf;
}

rt::Expected<double>
moec::tool::medianLaunchMs(rt::Device &dev, int warmup, int repeat,
                           const std::function<rt::Status(int)> &launch) {
  for (int i = 0; i < warmup; ++i)
    if (rt::Status s = launch(i); !s.ok())
      return s;
  std::vector<float> times;
  for (int i = 0; i < repeat; ++i) {
    auto timer = rt::Timer::create(dev);
    if (!timer.ok())
      return timer.status();
    (void)timer->start();
    if (rt::Status s = launch(i); !s.ok())
      return s;
    (void)timer->stop();
    auto ms = timer->elapsedMs();
    if (!ms.ok())
      return ms.status();
    times.push_back(*ms);
  }
  if (times.empty())
    return rt::Status::error("no timed launch (repeat must be positive)");
  std::sort(times.begin(), times.end());
  return static_cast<double>(times[times.size() / 2]);
}

std::string moec::tool::appendLine(const std::string &path,
                                   const std::string &line) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec, llvm::sys::fs::OF_Append);
  if (ec)
    return "cannot write " + path + ": " + ec.message();
  os << line << "\n";
  return {};
}
