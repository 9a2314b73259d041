#include "support/tls.h"

#include <curl/curl.h>

#include <cstdlib>
#include <stdexcept>

namespace opel::testing {

TestCertificate make_certificate(const std::filesystem::path& dir, const std::string& name) {
    TestCertificate out{(dir / (name + ".pem")).string(), (dir / (name + "-key.pem")).string()};
    const std::string command =
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout '" +
        out.private_key + "' -out '" + out.certificate + "' 2>/dev/null";
    if (std::system(command.c_str()) != 0) {
        throw std::runtime_error("openssl could not make a test certificate: " + command);
    }
    return out;
}

std::optional<HttpReply> https_request(const std::string& method, const std::string& address,
                                       const std::string& target, const std::string& ca_file,
                                       const std::string& body,
                                       const std::map<std::string, std::string>& headers,
                                       std::string* error, std::chrono::milliseconds timeout) {
    // libcurl (as opel-notifyd uses it): "localhost" resolved to the given address, so the
    // certificate's name is checked as a browser would.
    const std::string port = address.substr(address.rfind(':') + 1);
    const std::string host = address.substr(0, address.rfind(':'));
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
        throw std::runtime_error("curl_easy_init failed");
    }
    HttpReply reply;
    char problem[CURL_ERROR_SIZE] = "";
    curl_slist* resolve = curl_slist_append(nullptr, ("localhost:" + port + ":" + host).c_str());
    curl_slist* fields = nullptr;
    for (const auto& [name, value] : headers) {
        fields = curl_slist_append(fields, (name + ": " + value).c_str());
    }
    const std::string url = "https://localhost:" + port + target;
    const auto append = +[](char* data, std::size_t size, std::size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
    };
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_RESOLVE, resolve);
    curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (!body.empty() || method != "GET") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, fields);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, problem);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &reply.headers);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    const CURLcode done = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(fields);
    curl_slist_free_all(resolve);
    curl_easy_cleanup(curl);
    if (done != CURLE_OK) {
        if (error != nullptr) {
            *error = std::string(curl_easy_strerror(done)) + ": " + problem;
        }
        return std::nullopt;
    }
    reply.status = static_cast<int>(status);
    return reply;
}

}  // namespace opel::testing
