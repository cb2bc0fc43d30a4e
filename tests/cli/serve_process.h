// `mlloop serve` in a child process, as the cli tests start it.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mlloop::testutil {

// `mlloop serve ARGS` in a child process whose stdout and stderr come back through a pipe.
class ServeProcess {
 public:
  explicit ServeProcess(const std::vector<std::string>& args) {
    int fds[2];
    EXPECT_EQ(pipe(fds), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      dup2(fds[1], 2);
      close(fds[0]);
      std::vector<std::string> argv_s = {std::string(MLLOOP_BINARY_DIR) + "/bin/mlloop", "serve"};
      argv_s.insert(argv_s.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& a : argv_s) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(fds[1]);
    out_fd_ = fds[0];
  }
  ~ServeProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      Wait();
    }
    close(out_fd_);
  }

  // Reads output until `needle` appears (or the process ends, or `timeout` passes).
  bool ReadUntil(const std::string& needle, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[1024];
    while (output_.find(needle) == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      ssize_t n = read(out_fd_, buf, sizeof(buf));
      if (n <= 0) return output_.find(needle) != std::string::npos;
      output_.append(buf, static_cast<size_t>(n));
    }
    return true;
  }
  // The port in "on http://127.0.0.1:PORT".
  int Port() {
    if (!ReadUntil("\n")) return -1;
    size_t p = output_.find("127.0.0.1:");
    return p == std::string::npos ? -1 : std::stoi(output_.substr(p + 10));
  }
  // Exit code after the process ends; -1 if killed by a signal.
  int Wait() {
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  void Signal(int sig) { kill(pid_, sig); }
  const std::string& output() const { return output_; }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
  std::string output_;
};

}  // namespace mlloop::testutil
