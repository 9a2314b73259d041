#include "adapters/net/errc.h"

namespace opel::net {

std::string_view to_string(Errc code) {
    switch (code) {
        case Errc::bad_endpoint:
            return "bad_endpoint";
        case Errc::address_in_use:
            return "address_in_use";
        case Errc::insecure_endpoint:
            return "insecure_endpoint";
        case Errc::timeout:
            return "timeout";
        case Errc::send_failed:
            return "send_failed";
        case Errc::receive_failed:
            break;
    }
    return "receive_failed";
}

}  // namespace opel::net
