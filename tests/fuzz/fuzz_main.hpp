// Entry points shared by the fuzz targets. A target defines, before including this header:
//   const char* fuzz_name();                                  // "mailbox", ...
//   void fuzz_init();                                         // once: build the device, quiet logs
//   void fuzz_one(const uint8_t* data, size_t size);          // one input; aborts on a broken invariant
//   std::vector<uint8_t> fuzz_random_input(std::mt19937& rng);  // plain driver's pseudo-random input
//   std::string fuzz_summary();                               // one line for the plain driver
//
// Built with -Dfuzzing=true (clang, -DAIE4_LIBFUZZER): libFuzzer's main calls
// LLVMFuzzerInitialize once and LLVMFuzzerTestOneInput per input. Otherwise (g++ or clang) this
// header supplies main():
//   fuzz-NAME --random N [SEED]   N pseudo-random inputs (the ./aie4 test smoke run)
//   fuzz-NAME FILE|DIR...         replays files (a directory: every file in it, e.g. a corpus)
#pragma once

#include "cli/number.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#ifdef AIE4_LIBFUZZER
extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    fuzz_init();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    fuzz_one(data, size);
    return 0;
}
#else
namespace fuzz_main_detail {

inline uint64_t replay_file(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in.good()) {
        std::fprintf(stderr, "fuzz-%s: cannot read %s\n", fuzz_name(), path.c_str());
        std::exit(2);
    }
    const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    fuzz_one(bytes.data(), bytes.size());
    return 1;
}

} // namespace fuzz_main_detail

int main(int argc, char** argv)
{
    namespace fs = std::filesystem;
    if (argc < 2) {
        std::fprintf(stderr, "usage: fuzz-%s --random N [SEED] | fuzz-%s FILE|DIR...\n", fuzz_name(), fuzz_name());
        return 2;
    }
    fuzz_init();
    if (std::string(argv[1]) == "--random") {
        if (argc < 3)
            return 2;
        // The project's one number rule (cli/number.hpp), like every other command line.
        const auto parsed_n = aie4emu::cli::parse_number<unsigned long>(argv[2]);
        const auto parsed_seed = argc >= 4 ? aie4emu::cli::parse_number<unsigned>(argv[3]) : std::optional<unsigned>(1u);
        if (!parsed_n || !parsed_seed) {
            std::fprintf(stderr, "fuzz-%s: N and SEED must be numbers (decimal or 0x hex)\n", fuzz_name());
            return 2;
        }
        const unsigned long n = *parsed_n;
        const unsigned seed = *parsed_seed;
        std::mt19937 rng(seed);
        for (unsigned long i = 0; i < n; ++i) {
            const auto input = fuzz_random_input(rng);
            fuzz_one(input.data(), input.size());
        }
        std::printf("fuzz-%s: %lu random inputs (seed %u): %s\n", fuzz_name(), n, seed, fuzz_summary().c_str());
        return 0;
    }
    uint64_t files = 0;
    for (int i = 1; i < argc; ++i) {
        const fs::path p(argv[i]);
        if (fs::is_directory(p)) {
            for (const auto& e : fs::directory_iterator(p))
                if (e.is_regular_file())
                    files += fuzz_main_detail::replay_file(e.path());
        } else {
            files += fuzz_main_detail::replay_file(p);
        }
    }
    std::printf("fuzz-%s: %llu inputs replayed: %s\n", fuzz_name(), static_cast<unsigned long long>(files),
                fuzz_summary().c_str());
    return 0;
}
#endif
