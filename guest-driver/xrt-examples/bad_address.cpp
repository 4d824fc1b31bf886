// xrt-bad-address: a job that fails, and how XRT reports it. The kernel is copy.asm with the
// output BD's address pointing 1 TiB past the output buffer (built by build.sh), outside guest
// RAM: the shim DMA faults, CERT completes the command with an ERROR state, and
//   run.wait()  returns ERT_CMD_STATE_ERROR (not ERT_CMD_STATE_TIMEOUT),
//   run.wait2() throws.
// Then a good run on a fresh context of the same process must still complete.
//
//   xrt-bad-address [--elf bad_address.elf] [--good-elf copy.elf]
#include "example.hpp"

int main(int argc, char** argv)
{
    return example::guarded_main("xrt-bad-address", [&] {
        const std::string bad_elf = example::option(argc, argv, "--elf", "/usr/local/share/aie4/xrt/bad_address.elf");
        const std::string good_elf = example::option(argc, argv, "--good-elf", "/usr/local/share/aie4/xrt/copy.elf");
        constexpr std::size_t kBytes = 4096;
        example::ElfKernel k(bad_elf);
        xrt::bo in = example::make_buffer(k.device, kBytes);
        xrt::bo out = example::make_buffer(k.device, kBytes);
        std::memset(out.map<void*>(), 0x5A, kBytes);
        out.sync(XCL_BO_SYNC_BO_TO_DEVICE);

        xrt::run run(k.kernel);
        run.set_arg(0, in);
        run.set_arg(1, out);
        run.start();
        const ert_cmd_state state = run.wait();
        std::printf("xrt-bad-address: run.wait() returned %d (ERT_CMD_STATE_ERROR = %d, TIMEOUT = %d)\n",
                    static_cast<int>(state), static_cast<int>(ERT_CMD_STATE_ERROR), static_cast<int>(ERT_CMD_STATE_TIMEOUT));
        if (state != ERT_CMD_STATE_ERROR)
            return 1;

        xrt::run again(k.kernel);
        again.set_arg(0, in);
        again.set_arg(1, out);
        again.start();
        bool threw = false;
        try {
            again.wait2();
        } catch (const std::exception& e) {
            threw = true;
            std::printf("xrt-bad-address: run.wait2() threw: %s\n", e.what());
        }
        if (!threw) {
            std::fprintf(stderr, "xrt-bad-address: wait2() did not throw on a failing run\n");
            return 1;
        }
        out.sync(XCL_BO_SYNC_BO_FROM_DEVICE);
        const auto* po = out.map<const std::uint8_t*>();
        for (std::size_t i = 0; i < kBytes; ++i)
            if (po[i] != 0x5A) {
                std::fprintf(stderr, "xrt-bad-address: the output buffer changed at byte %zu\n", i);
                return 1;
            }

        // The device and the driver keep serving: a good kernel on a new context completes.
        example::ElfKernel good(good_elf);
        xrt::bo in2 = example::make_buffer(good.device, kBytes);
        xrt::bo out2 = example::make_buffer(good.device, kBytes);
        xrt::run ok(good.kernel);
        ok.set_arg(0, in2);
        ok.set_arg(1, out2);
        example::run_and_wait(ok);
        std::printf("xrt-bad-address: a good run afterwards completed\nxrt-bad-address: PASS\n");
        return 0;
    });
}
