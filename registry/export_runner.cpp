#include "registry/export_runner.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>
#include <vector>

namespace nara {
namespace {

namespace fs = std::filesystem;

// Writes each type's resources to <folder>/<Type>.ndjson and asks the store between batches whether
// the job is still wanted.
class FileSink final : public ExportSink {
 public:
  FileSink(ExportStore& store, std::string job_id, fs::path folder, const std::atomic<bool>& stop)
      : store_(store), job_id_(std::move(job_id)), folder_(std::move(folder)), stop_(stop) {}

  Status BeginType(const std::string& type, int index, int total) override {
    current_ = ExportFile{type, ExportRunner::FileName(type), 0};
    // A large buffer: one write(2) per MiB instead of one per 8 KiB (set before open to take effect).
    buffer_.resize(kWriteBuffer);
    out_.rdbuf()->pubsetbuf(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
    out_.open(folder_ / current_.name, std::ios::binary | std::ios::trunc);
    if (!out_) return Error::Unavailable("exportfilen kunde inte skapas (cannot create the export file)");
    // Progress is for the client's X-Progress header only: a failed update is not worth failing for.
    store_.SetProgress(job_id_, type + " (" + std::to_string(index) + "/" + std::to_string(total) + ")");
    return Ok();
  }

  Status Resource(std::string_view json) override {
    // NDJSON: one resource per line. The stored JSON is compact; a line break could only be
    // insignificant whitespace (JSON strings cannot hold a raw one), so it becomes a space. Written
    // in spans between line breaks (the whole body at once when it has none, as compact JSON has).
    while (!json.empty()) {
      const size_t at = LineBreak(json);
      out_.write(json.data(), static_cast<std::streamsize>(at));
      if (at == json.size()) break;
      out_.put(' ');
      json.remove_prefix(at + 1);
    }
    out_.put('\n');
    ++current_.count;
    if (!out_) return Error::Unavailable("exportfilen kunde inte skrivas (disk full?) (cannot write the export file)");
    return Ok();
  }

  Status EndType() override {
    out_.close();
    if (!out_) return Error::Unavailable("exportfilen kunde inte skrivas (cannot write the export file)");
    std::error_code ignored;
    if (current_.count == 0) {
      fs::remove(folder_ / current_.name, ignored);
    } else {
      files_.push_back(current_);
    }
    return Ok();
  }

  bool KeepGoing() override {
    if (stop_) return false;
    auto job = store_.Find(job_id_);
    if (!job && job.error().kind == ErrorKind::not_found) cancelled_ = true;
    return !cancelled_;
  }

  bool cancelled() const { return cancelled_; }
  const std::vector<ExportFile>& files() const { return files_; }

 private:
  static constexpr size_t kWriteBuffer = size_t{1} << 20;

  // The position of the first \n or \r in text, or its size when there is none.
  static size_t LineBreak(std::string_view text) {
    size_t first = text.size();
    for (const char ch : {'\n', '\r'}) {
      if (const void* at = std::memchr(text.data(), ch, first)) {
        first = static_cast<size_t>(static_cast<const char*>(at) - text.data());
      }
    }
    return first;
  }

  ExportStore& store_;
  std::string job_id_;
  fs::path folder_;
  const std::atomic<bool>& stop_;
  std::vector<char> buffer_;  // out_'s; declared before it, so it outlives the stream
  std::ofstream out_;
  ExportFile current_;
  std::vector<ExportFile> files_;
  bool cancelled_ = false;
};

}  // namespace

ExportRunner::ExportRunner(ExportStore& store, std::string dir, std::string worker_id, const std::atomic<bool>& stop)
    : store_(store), dir_(std::move(dir)), worker_id_(std::move(worker_id)), stop_(stop) {}

std::string ExportRunner::JobFolder(const std::string& dir, const std::string& job_id) {
  return (fs::path(dir) / job_id).string();
}

std::string ExportRunner::FileName(const std::string& type) { return type + ".ndjson"; }

bool ExportRunner::RemoveFolder(const std::string& dir, const std::string& job_id) {
  if (job_id.empty() || job_id.find('/') != std::string::npos || job_id == "." || job_id == "..") return false;
  std::error_code error;
  fs::remove_all(JobFolder(dir, job_id), error);
  return !fs::exists(JobFolder(dir, job_id), error);
}

bool ExportRunner::RunNext(std::string* problem) {
  auto claimed = store_.ClaimNext(worker_id_);
  if (!claimed) {
    if (problem) *problem = claimed.error().text;
    return false;
  }
  if (!*claimed) return false;
  const ExportJob& job = **claimed;
  const fs::path folder = JobFolder(dir_, job.id);
  // A job run again after a restart starts from an empty folder.
  RemoveFolder(dir_, job.id);
  std::error_code created;
  fs::create_directories(folder, created);
  if (created) {
    store_.Fail(job.id, "exportmappen kunde inte skapas (cannot create the export folder)");
    return true;
  }
  FileSink sink(store_, job.id, folder, stop_);
  Result<std::string> streamed = Error::Unavailable("not run");
  try {
    streamed = store_.Stream(job, sink);
  } catch (const std::exception& e) {
    // The reason stays in the server's log (it might quote data); the client learns that it failed.
    if (problem) *problem = "job " + job.id + ": " + e.what();
    streamed = Error{ErrorKind::invalid, "exception", "databasfel under exporten (database error during export)", {}};
  }
  if (stop_) return true;  // shutting down: the job stays running and is recovered at the next start
  if (sink.cancelled()) {
    RemoveFolder(dir_, job.id);
    return true;
  }
  if (!streamed) {
    if (problem && problem->empty()) *problem = "job " + job.id + ": " + streamed.error().text;
    RemoveFolder(dir_, job.id);
    store_.Fail(job.id, streamed.error().text);
    return true;
  }
  auto completed = store_.Complete(job.id, *streamed, sink.files());
  if (!completed && completed.error().kind == ErrorKind::not_found) {
    RemoveFolder(dir_, job.id);  // cancelled while the last type was written
  }
  return true;
}

Status ExportRunner::ExpireOld(long retention_seconds) {
  auto expired = store_.Expire(retention_seconds);
  if (!expired) return expired.error();
  for (const auto& id : *expired) RemoveFolder(dir_, id);
  return Ok();
}

}  // namespace nara
