#include "notifyd/sender.h"

#include <curl/curl.h>
#include <sys/select.h>

#include <algorithm>
#include <mutex>

#include "adapters/clock/stopwatch.h"

namespace opel::notifyd {

// One attempt in flight: the easy handle and everything it points into.
struct Sender::Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    curl_slist* recipients = nullptr;
    curl_mime* mime = nullptr;
    std::string answer;  // the first bytes of the receiver's answer, for the error detail
    bool email = false;
    Stopwatch started;  // the attempt's duration, for the metrics

    ~Transfer() {
        curl_mime_free(mime);
        curl_slist_free_all(headers);
        curl_slist_free_all(recipients);
        curl_easy_cleanup(easy);
    }
};

namespace {

constexpr std::size_t answer_limit = 300;

std::size_t keep_answer(char* data, std::size_t size, std::size_t count, void* user) {
    auto* answer = static_cast<std::string*>(user);
    const std::size_t n = size * count;
    if (answer->size() < answer_limit) {
        answer->append(data, std::min(n, answer_limit - answer->size()));
    }
    return n;
}

std::string crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 40);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) {
            out += '\r';
        }
        out += text[i];
    }
    return out;
}

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What an ended transfer came to. HTTP: 2xx sent; 408, 425, 429 and 5xx retried; any other
// answer (a 4xx, a redirect, which is not followed) failed: sending again cannot help.
// SMTP: a 5xx answer failed, anything else retried. No answer at all (refused, timed out,
// reset): retried.
Attempt outcome(CURL* easy, CURLcode code, bool email, const std::string& answer) {
    long status = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
    const std::string excerpt = answer.empty() ? "" : ": " + answer;
    if (email) {
        if (code == CURLE_OK) {
            return {Attempt::Outcome::sent, "SMTP " + std::to_string(status)};
        }
        const std::string detail = std::string(curl_easy_strerror(code)) +
                                   (status != 0 ? " (SMTP " + std::to_string(status) + ")" : "");
        return {status >= 500 ? Attempt::Outcome::failed : Attempt::Outcome::retry, detail};
    }
    if (code != CURLE_OK) {
        return {Attempt::Outcome::retry, curl_easy_strerror(code)};
    }
    const std::string detail = "HTTP " + std::to_string(status);
    if (status >= 200 && status < 300) {
        return {Attempt::Outcome::sent, detail};
    }
    if (status == 408 || status == 425 || status == 429 || status >= 500) {
        return {Attempt::Outcome::retry, detail + excerpt};
    }
    return {Attempt::Outcome::failed, detail + excerpt};
}

}  // namespace

std::string mail_address(const std::string& from) {
    const std::size_t open = from.rfind('<');
    const std::size_t close = from.rfind('>');
    if (open != std::string::npos && close != std::string::npos && close > open) {
        return from.substr(open + 1, close - open - 1);
    }
    return from;
}

Sender::Sender(config::SmtpSettings smtp, Duration timeout, zmq::context_t& context,
               std::optional<net::ClientKeys> keys)
    : smtp_(std::move(smtp)), timeout_(timeout), reporter_(context, timeout, std::move(keys)) {
    global_init();
    multi_ = curl_multi_init();
}

Sender::~Sender() {
    for (auto& [key, t] : transfers_) {
        curl_multi_remove_handle(multi_, t->easy);
    }
    transfers_.clear();
    curl_multi_cleanup(multi_);
}

void Sender::start(const OutMessage& m) {
    if (m.receiver.kind == config::ReceiverKind::escalator) {
        reporter_.start(m);
        return;
    }
    auto t = std::make_unique<Transfer>();
    t->easy = curl_easy_init();
    t->email = m.receiver.kind == config::ReceiverKind::email;
    CURL* e = t->easy;
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count() * 1000));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count() * 1000));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t->answer);
    for (const std::string& h : m.content.headers) {
        t->headers = curl_slist_append(t->headers, h.c_str());
    }
    CURLcode set = CURLE_OK;
    if (t->email) {
        set = curl_easy_setopt(e, CURLOPT_URL, smtp_.url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
        curl_easy_setopt(e, CURLOPT_USE_SSL,
                         static_cast<long>(smtp_.require_tls ? CURLUSESSL_ALL : CURLUSESSL_TRY));
        curl_easy_setopt(e, CURLOPT_MAIL_FROM, ("<" + mail_address(smtp_.from) + ">").c_str());
        t->recipients = curl_slist_append(t->recipients, ("<" + m.receiver.target + ">").c_str());
        curl_easy_setopt(e, CURLOPT_MAIL_RCPT, t->recipients);
        // multipart/alternative: plain text first, HTML preferred by clients that show it;
        // quoted-printable keeps lines short and the text readable.
        t->mime = curl_mime_init(e);
        curl_mime* alternative = curl_mime_init(e);
        curl_mimepart* text = curl_mime_addpart(alternative);
        // Lines end CRLF so quoted-printable keeps them as line breaks.
        const std::string plain = crlf(m.content.body);  // libcurl copies the data
        curl_mime_data(text, plain.data(), plain.size());
        curl_mime_type(text, "text/plain; charset=utf-8");
        curl_mime_encoder(text, "quoted-printable");
        curl_mimepart* html = curl_mime_addpart(alternative);
        const std::string markup = crlf(m.content.html);
        curl_mime_data(html, markup.data(), markup.size());
        curl_mime_type(html, "text/html; charset=utf-8");
        curl_mime_encoder(html, "quoted-printable");
        curl_mimepart* part = curl_mime_addpart(t->mime);
        curl_mime_subparts(part, alternative);
        curl_mime_type(part, "multipart/alternative");
        curl_easy_setopt(e, CURLOPT_MIMEPOST, t->mime);
    } else {
        set = curl_easy_setopt(e, CURLOPT_URL, m.receiver.target.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
        t->headers = curl_slist_append(t->headers, "Content-Type: application/json");
        t->headers = curl_slist_append(t->headers, "User-Agent: opel-notifyd");
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, static_cast<long>(m.content.body.size()));
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, m.content.body.c_str());
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    if (set != CURLE_OK || curl_multi_add_handle(multi_, e) != CURLM_OK) {
        failed_to_start_.push_back(
            {m.key,
             {Attempt::Outcome::failed, "cannot start: " + std::string(curl_easy_strerror(set))}});
        return;
    }
    transfers_.emplace(m.key, std::move(t));
}

long Sender::poll_items(std::vector<zmq_pollitem_t>& items) {
    const long transfers = transfer_poll_items(items);
    const long reports = reporter_.poll_items(items);
    return transfers < 0 ? reports : reports < 0 ? transfers : std::min(transfers, reports);
}

long Sender::transfer_poll_items(std::vector<zmq_pollitem_t>& items) {
    if (transfers_.empty()) {
        return failed_to_start_.empty() ? -1 : 0;
    }
    fd_set read{}, write{}, error{};
    FD_ZERO(&read);
    FD_ZERO(&write);
    FD_ZERO(&error);
    int max_fd = -1;
    curl_multi_fdset(multi_, &read, &write, &error, &max_fd);
    for (int fd = 0; fd <= max_fd; ++fd) {
        short events = 0;
        if (FD_ISSET(fd, &read)) {
            events |= ZMQ_POLLIN;
        }
        if (FD_ISSET(fd, &write)) {
            events |= ZMQ_POLLOUT;
        }
        if (FD_ISSET(fd, &error)) {
            events |= ZMQ_POLLERR;
        }
        if (events != 0) {
            items.push_back({nullptr, fd, events, 0});
        }
    }
    long wait = -1;
    curl_multi_timeout(multi_, &wait);
    // No socket yet (name resolution, a connect not started): come back soon.
    return max_fd < 0 && (wait < 0 || wait > 50) ? 50 : wait;
}

std::vector<Sender::Finished> Sender::perform() {
    std::vector<Finished> out = std::move(failed_to_start_);
    failed_to_start_.clear();
    int running = 0;
    curl_multi_perform(multi_, &running);
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
        if (msg->msg != CURLMSG_DONE) {
            continue;
        }
        const auto it = std::find_if(transfers_.begin(), transfers_.end(), [&](const auto& kv) {
            return kv.second->easy == msg->easy_handle;
        });
        if (it == transfers_.end()) {
            continue;
        }
        Transfer& t = *it->second;
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::nanoseconds(t.started.lap()));
        out.push_back({it->first, outcome(t.easy, msg->data.result, t.email, t.answer), took});
        curl_multi_remove_handle(multi_, t.easy);
        transfers_.erase(it);
    }
    for (Finished& f : reporter_.perform()) {
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace opel::notifyd
