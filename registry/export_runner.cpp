#include "registry/export_runner.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
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
    pending_.clear();
    pending_.reserve(kWriteBuffer + (kWriteBuffer >> 2));
    out_.reset(std::fopen((folder_ / current_.name).c_str(), "wb"));
    if (!out_) return Error::Unavailable("exportfilen kunde inte skapas (cannot create the export file)");
    // Our own buffer below is the only one: whole MiB chunks go to fwrite, which writes them through.
    std::setvbuf(out_.get(), nullptr, _IONBF, 0);
    // Progress is for the client's X-Progress header only: a failed update is not worth failing for.
    (void)store_.SetProgress(job_id_, type + " (" + std::to_string(index) + "/" + std::to_string(total) + ")");
    return Ok();
  }

  // Appended to a plain string and written a MiB at a time: an ofstream here cost a core-second of
  // stream machinery per 255 MB export (perf: std::ostream::put/sentry), more than the copy itself.
  Status Resource(std::string_view json) override {
    // NDJSON: one resource per line. The stored JSON is compact; a line break could only be
    // insignificant whitespace (JSON strings cannot hold a raw one), so it becomes a space. Copied
    // in spans between line breaks (the whole body at once when it has none, as compact JSON has).
    while (!json.empty()) {
      const size_t at = LineBreak(json);
      pending_.append(json.data(), at);
      if (at == json.size()) break;
      pending_.push_back(' ');
      json.remove_prefix(at + 1);
    }
    pending_.push_back('\n');
    ++current_.count;
    if (pending_.size() >= kWriteBuffer && !Flush()) {
      return Error::Unavailable("exportfilen kunde inte skrivas (disk full?) (cannot write the export file)");
    }
    return Ok();
  }

  Status EndType() override {
    if (!out_) return Error::Unavailable("exportfilen är inte öppen (the export file is not open)");
    const bool written = Flush();
    const bool closed = std::fclose(out_.release()) == 0;
    if (!written || !closed) return Error::Unavailable("exportfilen kunde inte skrivas (cannot write the export file)");
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

  struct CloseFile {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };

  // Writes what is pending; false when the disk refused part of it.
  bool Flush() {
    const size_t written = pending_.empty() ? 0 : std::fwrite(pending_.data(), 1, pending_.size(), out_.get());
    const bool ok = written == pending_.size();
    pending_.clear();
    return ok;
  }

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
  std::string pending_;  // the current file's bytes not yet written
  std::unique_ptr<std::FILE, CloseFile> out_;
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
    Status failed = store_.Fail(job.id, "exportmappen kunde inte skapas (cannot create the export folder)");
    // Not marked failed: the job stays running and the next start recovers it; the log says why.
    if (!failed && problem) *problem = "job " + job.id + ": " + failed.error().text;
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
    Status failed = store_.Fail(job.id, streamed.error().text);
    // As above: an unmarked job is recovered at the next start.
    if (!failed && problem) *problem += "; not marked failed: " + failed.error().text;
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
