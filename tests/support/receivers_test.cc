// The receivers that system tests of opel-notifyd deliver to (support/receivers.h) are real
// processes on loopback: a request posted to the webhook receiver is logged with its headers
// and body and answered per the mode a test sets, and a message sent over SMTP by Python's
// smtplib (another process) is recorded with its envelope, or refused per recipient.
#include "support/receivers.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "support/metrics.h"
#include "support/process.h"

namespace opel {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::HttpReceiver;
using testing::SmtpSink;

TEST(HttpReceiverTest, LogsAPostWithItsHeadersAndBody) {
    const auto hook = HttpReceiver::start();
    EXPECT_EQ(hook->url("/hook"), "http://127.0.0.1:" + std::to_string(hook->port()) + "/hook");

    const auto reply = testing::http_request(
        "POST", hook->address(), "/hook?site=RXX", R"({"level":3})",
        {{"Content-Type", "application/json"}, {"Idempotency-Key", "evt-1"}}, 5s);

    ASSERT_TRUE(reply) << hook->output();
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, R"({"ok":true})");
    const auto logged = hook->wait_for(1, 5s);
    ASSERT_EQ(logged.size(), 1U);
    EXPECT_EQ(logged[0].seq, 1);
    EXPECT_EQ(logged[0].method, "POST");
    EXPECT_EQ(logged[0].path, "/hook?site=RXX");
    EXPECT_EQ(logged[0].headers.at("idempotency-key"), "evt-1");
    EXPECT_EQ(logged[0].headers.at("content-type"), "application/json");
    EXPECT_EQ(logged[0].body, R"({"level":3})");
    EXPECT_EQ(logged[0].status, 200);
    EXPECT_GT(logged[0].at, 1.6e9);
}

TEST(HttpReceiverTest, FailWithCountOneAnswersTheStatusToTheNextRequestOnly) {
    const auto hook = HttpReceiver::start();
    hook->set_mode(R"({"mode":"fail","count":1})");

    const auto first = testing::http_request("POST", hook->address(), "/hook", "a", {}, 5s);
    const auto second = testing::http_request("POST", hook->address(), "/hook", "b", {}, 5s);

    ASSERT_TRUE(first && second) << hook->output();
    EXPECT_EQ(first->status, 503);
    EXPECT_EQ(second->status, 200);
    const auto logged = hook->wait_for(2, 5s);
    ASSERT_EQ(logged.size(), 2U);
    EXPECT_EQ(logged[0].status, 503);
    EXPECT_EQ(logged[1].status, 200);
}

TEST(HttpReceiverTest, FailAnswersTheStatusItIsGiven) {
    const auto hook = HttpReceiver::start();
    hook->set_mode(R"({"mode":"fail","status":429})");

    const auto reply = testing::http_request("POST", hook->address(), "/hook", "a", {}, 5s);

    ASSERT_TRUE(reply) << hook->output();
    EXPECT_EQ(reply->status, 429);
}

TEST(HttpReceiverTest, StallHoldsTheRequestUntilTheClientGivesUp) {
    const auto hook = HttpReceiver::start();
    hook->set_mode(R"({"mode":"stall"})");

    const auto sent = std::chrono::steady_clock::now();
    const auto reply = testing::http_request("POST", hook->address(), "/hook", "a", {}, 1s);

    EXPECT_FALSE(reply) << "answered " << reply->status;
    EXPECT_GE(std::chrono::steady_clock::now() - sent, 1s);
    const auto logged = hook->wait_for(1, 5s);
    ASSERT_EQ(logged.size(), 1U);
    EXPECT_EQ(logged[0].body, "a");
    EXPECT_EQ(logged[0].status, std::nullopt);
    // Other requests are not held up by the stalled one once the mode changes.
    hook->set_mode(R"({"mode":"ok"})");
    const auto next = testing::http_request("POST", hook->address(), "/hook", "b", {}, 5s);
    ASSERT_TRUE(next) << hook->output();
    EXPECT_EQ(next->status, 200);
}

TEST(HttpReceiverTest, SlowAnswersAfterTheDelay) {
    const auto hook = HttpReceiver::start();
    hook->set_mode(R"({"mode":"slow","delay":0.3,"count":1})");

    const auto sent = std::chrono::steady_clock::now();
    const auto reply = testing::http_request("POST", hook->address(), "/hook", "a", {}, 5s);

    ASSERT_TRUE(reply) << hook->output();
    EXPECT_EQ(reply->status, 200);
    EXPECT_GE(std::chrono::steady_clock::now() - sent, 300ms);
}

TEST(HttpReceiverTest, SetModeRefusesAnUnknownMode) {
    const auto hook = HttpReceiver::start();

    EXPECT_THROW(hook->set_mode(R"({"mode":"sometimes"})"), std::runtime_error);
    EXPECT_TRUE(hook->requests().empty());
}

TEST(HttpReceiverTest, WaitForReturnsWhatWasLoggedWhenTimeRunsOut) {
    const auto hook = HttpReceiver::start();

    const auto started = std::chrono::steady_clock::now();
    EXPECT_TRUE(hook->wait_for(1, 300ms).empty());
    EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);
}

TEST(ReceiverProcessTest, StartFailsWithTheScriptsOutputWhenItExitsEarly) {
    try {
        const testing::ReceiverProcess process("missing", "/nonexistent/receiver.py", {}, 10s);
        ADD_FAILURE() << "started on port " << process.port();
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("receiver.py exited with status 2"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("No such file or directory"), std::string::npos)
            << e.what();
    }
}

// Sends one message with Python's smtplib to the sink on `port`: "plain" text, or
// "multipart" (text and HTML alternatives). Returns what the client printed: a line
// "<code> <recipient> <text>" for each refused recipient.
std::string send_mail(const SmtpSink& sink, const std::string& kind,
                      const std::vector<std::string>& rcpts) {
    static constexpr const char* client = R"(
import smtplib, sys
from email.message import EmailMessage
port, kind, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
m = EmailMessage()
m["From"] = "opel-notifyd@example.nhs.uk"
m["To"] = ", ".join(rcpts)
m["Subject"] = "OPEL test " + kind
m["Message-ID"] = "<" + kind + "@opel.test>"
m.set_content("plain text body\n")
if kind == "multipart":
    m.add_alternative("<p>html body</p>", subtype="html")
try:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="localhost", timeout=10) as s:
        refused = s.send_message(m)
except smtplib.SMTPRecipientsRefused as e:
    refused = e.recipients
for rcpt, (code, text) in sorted(refused.items()):
    print(code, rcpt, text.decode())
)";
    const fs::path out = sink.mail_dir().parent_path() / "client.txt";
    std::error_code ignored;
    fs::remove(out, ignored);  // spawn() appends
    std::vector<std::string> args = {"/usr/bin/python3", "-c", client, std::to_string(sink.port()),
                                     kind};
    args.insert(args.end(), rcpts.begin(), rcpts.end());
    const pid_t pid = testing::spawn(std::move(args), out, true);
    const auto exit_code = testing::wait_child(pid, 10s);
    std::stringstream printed;
    printed << std::ifstream(out).rdbuf();
    EXPECT_EQ(exit_code, 0) << printed.str();
    return printed.str();
}

TEST(SmtpSinkTest, RecordsAPlainAndAMultipartMessageWithTheirRecipients) {
    const auto sink = SmtpSink::start();
    EXPECT_EQ(sink->url(), "smtp://127.0.0.1:" + std::to_string(sink->port()));

    EXPECT_EQ(send_mail(*sink, "plain", {"duty-manager@example.nhs.uk"}), "");
    EXPECT_EQ(send_mail(*sink, "multipart", {"a@example.nhs.uk", "b@example.nhs.uk"}), "");

    const auto mail = sink->wait_for(2, 5s);
    ASSERT_EQ(mail.size(), 2U) << sink->output();
    EXPECT_EQ(mail[0].mail_from, "opel-notifyd@example.nhs.uk");
    EXPECT_EQ(mail[0].rcpt_tos, std::vector<std::string>{"duty-manager@example.nhs.uk"});
    EXPECT_NE(mail[0].data.find("Subject: OPEL test plain"), std::string::npos) << mail[0].data;
    EXPECT_NE(mail[0].data.find("plain text body"), std::string::npos) << mail[0].data;
    EXPECT_EQ(mail[1].rcpt_tos, (std::vector<std::string>{"a@example.nhs.uk", "b@example.nhs.uk"}));
    EXPECT_NE(mail[1].data.find("multipart/alternative"), std::string::npos) << mail[1].data;
    EXPECT_NE(mail[1].data.find("<p>html body</p>"), std::string::npos) << mail[1].data;
    EXPECT_TRUE(fs::exists(sink->mail_dir() / "2.eml"));
}

TEST(SmtpSinkTest, RefusesARejectedRecipientWith550AndAcceptsTheOthers) {
    const auto sink = SmtpSink::start({"gone@example.nhs.uk"});

    EXPECT_EQ(send_mail(*sink, "plain", {"Gone@example.nhs.uk", "here@example.nhs.uk"}),
              "550 Gone@example.nhs.uk 5.1.1 mailbox unavailable\n");
    EXPECT_EQ(send_mail(*sink, "plain", {"gone@example.nhs.uk"}),
              "550 gone@example.nhs.uk 5.1.1 mailbox unavailable\n");

    const auto mail = sink->wait_for(1, 5s);
    ASSERT_EQ(mail.size(), 1U) << sink->output();
    EXPECT_EQ(mail[0].rcpt_tos, std::vector<std::string>{"here@example.nhs.uk"});
}

}  // namespace
}  // namespace opel
