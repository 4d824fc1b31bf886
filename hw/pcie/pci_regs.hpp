// PCI / PCI Express configuration-space facts: register offsets, capability
// IDs, bit masks. One place for every number the function model uses.
//
// Sources: PCI Local Bus Specification 3.0 (type-0 header), PCI Bus Power
// Management Interface Specification 1.2, PCI Express Base Specification 4.0
// (PCIe Base 4.0 §7.5.3 PCIe capability, §7.7.2 MSI-X, §9.3.3 SR-IOV). The numbers are the
// same as Linux include/uapi/linux/pci_regs.h; each constant names the
// pci_regs.h symbol it matches.
#pragma once

#include <cstdint>

namespace aie4emu::pcie::regs {

// ---- Configuration space sizes ---------------------------------------------
inline constexpr uint32_t kConfigSpaceSize = 4096;      // PCI_CFG_SPACE_EXP_SIZE
inline constexpr uint32_t kLegacyConfigSize = 256;      // PCI_CFG_SPACE_SIZE
inline constexpr uint32_t kFirstCapOffset = 0x40;       // first byte after the type-0 header
inline constexpr uint32_t kFirstExtCapOffset = 0x100;   // PCI_CFG_SPACE_SIZE: extended caps start here
inline constexpr unsigned kNumBars = 6;                 // PCI_STD_NUM_BARS

// ---- Type-0 header ----------------------------------------------------------
inline constexpr uint32_t kVendorId = 0x00;             // PCI_VENDOR_ID
inline constexpr uint32_t kDeviceId = 0x02;             // PCI_DEVICE_ID
inline constexpr uint32_t kCommand = 0x04;              // PCI_COMMAND
inline constexpr uint32_t kStatus = 0x06;               // PCI_STATUS
inline constexpr uint32_t kRevisionId = 0x08;           // PCI_REVISION_ID
inline constexpr uint32_t kClassProg = 0x09;            // PCI_CLASS_PROG (class code, 3 bytes)
inline constexpr uint32_t kCacheLineSize = 0x0c;        // PCI_CACHE_LINE_SIZE
inline constexpr uint32_t kLatencyTimer = 0x0d;         // PCI_LATENCY_TIMER
inline constexpr uint32_t kHeaderType = 0x0e;           // PCI_HEADER_TYPE
inline constexpr uint32_t kBist = 0x0f;                 // PCI_BIST
inline constexpr uint32_t kBar0 = 0x10;                 // PCI_BASE_ADDRESS_0 (BAR n at 0x10 + 4n)
inline constexpr uint32_t kCardbusCis = 0x28;           // PCI_CARDBUS_CIS
inline constexpr uint32_t kSubsystemVendorId = 0x2c;    // PCI_SUBSYSTEM_VENDOR_ID
inline constexpr uint32_t kSubsystemId = 0x2e;          // PCI_SUBSYSTEM_ID
inline constexpr uint32_t kRomAddress = 0x30;           // PCI_ROM_ADDRESS
inline constexpr uint32_t kCapabilityList = 0x34;       // PCI_CAPABILITY_LIST
inline constexpr uint32_t kInterruptLine = 0x3c;        // PCI_INTERRUPT_LINE
inline constexpr uint32_t kInterruptPin = 0x3d;         // PCI_INTERRUPT_PIN

inline constexpr uint8_t kHeaderTypeNormal = 0x00;      // PCI_HEADER_TYPE_NORMAL

// Command register bits.
inline constexpr uint16_t kCommandIo = 0x0001;          // PCI_COMMAND_IO
inline constexpr uint16_t kCommandMemory = 0x0002;      // PCI_COMMAND_MEMORY
inline constexpr uint16_t kCommandMaster = 0x0004;      // PCI_COMMAND_MASTER (bus master enable)
inline constexpr uint16_t kCommandParity = 0x0040;      // PCI_COMMAND_PARITY
inline constexpr uint16_t kCommandSerr = 0x0100;        // PCI_COMMAND_SERR
inline constexpr uint16_t kCommandIntxDisable = 0x0400; // PCI_COMMAND_INTX_DISABLE

// Status register bits.
inline constexpr uint16_t kStatusInterrupt = 0x0008;         // PCI_STATUS_INTERRUPT (RO)
inline constexpr uint16_t kStatusCapList = 0x0010;           // PCI_STATUS_CAP_LIST (RO)
inline constexpr uint16_t kStatusParity = 0x0100;            // PCI_STATUS_PARITY (master data parity error, RW1C)
inline constexpr uint16_t kStatusSigTargetAbort = 0x0800;    // PCI_STATUS_SIG_TARGET_ABORT (RW1C)
inline constexpr uint16_t kStatusRecTargetAbort = 0x1000;    // PCI_STATUS_REC_TARGET_ABORT (RW1C)
inline constexpr uint16_t kStatusRecMasterAbort = 0x2000;    // PCI_STATUS_REC_MASTER_ABORT (RW1C)
inline constexpr uint16_t kStatusSigSystemError = 0x4000;    // PCI_STATUS_SIG_SYSTEM_ERROR (RW1C)
inline constexpr uint16_t kStatusDetectedParity = 0x8000;    // PCI_STATUS_DETECTED_PARITY (RW1C)
inline constexpr uint16_t kStatusRw1cMask = kStatusParity | kStatusSigTargetAbort | kStatusRecTargetAbort |
                                            kStatusRecMasterAbort | kStatusSigSystemError |
                                            kStatusDetectedParity;

// BAR low-dword bits.
inline constexpr uint32_t kBarSpaceIo = 0x01;           // PCI_BASE_ADDRESS_SPACE_IO
inline constexpr uint32_t kBarMemType64 = 0x04;         // PCI_BASE_ADDRESS_MEM_TYPE_64
inline constexpr uint32_t kBarMemPrefetch = 0x08;       // PCI_BASE_ADDRESS_MEM_PREFETCH
inline constexpr uint32_t kBarMemFlagsMask = 0x0f;      // ~PCI_BASE_ADDRESS_MEM_MASK
inline constexpr uint64_t kMinMemBarSize = 16;          // smallest memory BAR (4 flag bits)

// ---- Standard capability list ----------------------------------------------
inline constexpr uint32_t kCapListId = 0;               // PCI_CAP_LIST_ID
inline constexpr uint32_t kCapListNext = 1;             // PCI_CAP_LIST_NEXT
inline constexpr uint8_t kCapIdPm = 0x01;               // PCI_CAP_ID_PM
inline constexpr uint8_t kCapIdExp = 0x10;              // PCI_CAP_ID_EXP
inline constexpr uint8_t kCapIdMsix = 0x11;             // PCI_CAP_ID_MSIX

// ---- Power Management capability --------------------------------------------
inline constexpr uint32_t kPmSizeof = 8;                // PCI_PM_SIZEOF
inline constexpr uint32_t kPmPmc = 2;                   // PCI_PM_PMC
inline constexpr uint32_t kPmCtrl = 4;                  // PCI_PM_CTRL
inline constexpr uint16_t kPmCapVersion12 = 0x0003;     // PCI_PM_CAP_VER_MASK field: PM spec 1.2
inline constexpr uint16_t kPmCtrlStateMask = 0x0003;    // PCI_PM_CTRL_STATE_MASK
inline constexpr uint16_t kPmCtrlNoSoftReset = 0x0008;  // PCI_PM_CTRL_NO_SOFT_RESET
inline constexpr uint16_t kPmStateD0 = 0;               // PCI_D0
inline constexpr uint16_t kPmStateD1 = 1;               // PCI_D1
inline constexpr uint16_t kPmStateD2 = 2;               // PCI_D2
inline constexpr uint16_t kPmStateD3hot = 3;            // PCI_D3hot

// ---- MSI-X capability -------------------------------------------------------
inline constexpr uint32_t kMsixSizeof = 12;             // PCI_CAP_MSIX_SIZEOF
inline constexpr uint32_t kMsixFlags = 2;               // PCI_MSIX_FLAGS (Message Control)
inline constexpr uint16_t kMsixFlagsQsize = 0x07ff;     // PCI_MSIX_FLAGS_QSIZE (table size - 1)
inline constexpr uint16_t kMsixFlagsMaskAll = 0x4000;   // PCI_MSIX_FLAGS_MASKALL
inline constexpr uint16_t kMsixFlagsEnable = 0x8000;    // PCI_MSIX_FLAGS_ENABLE
inline constexpr uint32_t kMsixTable = 4;               // PCI_MSIX_TABLE
inline constexpr uint32_t kMsixPba = 8;                 // PCI_MSIX_PBA
inline constexpr uint32_t kMsixBirMask = 0x7;           // PCI_MSIX_TABLE_BIR / PCI_MSIX_PBA_BIR
inline constexpr uint32_t kMsixOffsetMask = 0xfffffff8; // PCI_MSIX_TABLE_OFFSET / PCI_MSIX_PBA_OFFSET
inline constexpr unsigned kMsixMaxVectors = 2048;       // QSIZE + 1
inline constexpr uint32_t kMsixEntrySize = 16;          // PCI_MSIX_ENTRY_SIZE
inline constexpr uint32_t kMsixEntryLowerAddr = 0x0;    // PCI_MSIX_ENTRY_LOWER_ADDR
inline constexpr uint32_t kMsixEntryUpperAddr = 0x4;    // PCI_MSIX_ENTRY_UPPER_ADDR
inline constexpr uint32_t kMsixEntryData = 0x8;         // PCI_MSIX_ENTRY_DATA
inline constexpr uint32_t kMsixEntryVectorCtrl = 0xc;   // PCI_MSIX_ENTRY_VECTOR_CTRL
inline constexpr uint32_t kMsixEntryCtrlMaskBit = 0x1;  // PCI_MSIX_ENTRY_CTRL_MASKBIT
// Message Address bits [1:0] are reserved and read 0 (PCIe Base 4.0 §7.7.2.5).
inline constexpr uint32_t kMsixEntryAddrLowWritable = 0xfffffffc;

// ---- PCI Express capability (endpoint, version 2) ---------------------------
inline constexpr uint32_t kExpSizeofV2 = 0x3c;          // v2 structure incl. slot regs (QEMU PCI_EXP_VER2_SIZEOF)
inline constexpr uint32_t kExpFlags = 0x02;             // PCI_EXP_FLAGS
inline constexpr uint16_t kExpFlagsVersion2 = 0x0002;   // PCI_EXP_FLAGS_VERS field = 2
inline constexpr uint16_t kExpTypeEndpoint = 0x0;       // PCI_EXP_TYPE_ENDPOINT (in PCI_EXP_FLAGS_TYPE)
inline constexpr unsigned kExpFlagsTypeShift = 4;       // PCI_EXP_FLAGS_TYPE = 0x00f0
inline constexpr uint32_t kExpDevcap = 0x04;            // PCI_EXP_DEVCAP
inline constexpr uint32_t kExpDevcapRber = 0x00008000;  // PCI_EXP_DEVCAP_RBER
inline constexpr uint32_t kExpDevcapFlr = 0x10000000;   // PCI_EXP_DEVCAP_FLR
inline constexpr uint32_t kExpDevctl = 0x08;            // PCI_EXP_DEVCTL
inline constexpr uint16_t kExpDevctlCere = 0x0001;      // PCI_EXP_DEVCTL_CERE
inline constexpr uint16_t kExpDevctlNfere = 0x0002;     // PCI_EXP_DEVCTL_NFERE
inline constexpr uint16_t kExpDevctlFere = 0x0004;      // PCI_EXP_DEVCTL_FERE
inline constexpr uint16_t kExpDevctlUrre = 0x0008;      // PCI_EXP_DEVCTL_URRE
inline constexpr uint16_t kExpDevctlRelaxEn = 0x0010;   // PCI_EXP_DEVCTL_RELAX_EN
inline constexpr uint16_t kExpDevctlPayload = 0x00e0;   // PCI_EXP_DEVCTL_PAYLOAD
inline constexpr uint16_t kExpDevctlNoSnoopEn = 0x0800; // PCI_EXP_DEVCTL_NOSNOOP_EN
inline constexpr uint16_t kExpDevctlReadrq = 0x7000;    // PCI_EXP_DEVCTL_READRQ
inline constexpr uint16_t kExpDevctlReadrq512 = 0x2000; // PCI_EXP_DEVCTL_READRQ_512B (reset default)
inline constexpr uint16_t kExpDevctlBcrFlr = 0x8000;    // PCI_EXP_DEVCTL_BCR_FLR (Initiate FLR, reads 0)
inline constexpr uint32_t kExpDevsta = 0x0a;            // PCI_EXP_DEVSTA
inline constexpr uint16_t kExpDevstaRw1c = 0x000f;      // PCI_EXP_DEVSTA_CED|NFED|FED|URD
inline constexpr uint32_t kExpLnkcap = 0x0c;            // PCI_EXP_LNKCAP
inline constexpr uint32_t kExpLnkcapSls8_0GB = 0x3;     // PCI_EXP_LNKCAP_SLS_8_0GB
inline constexpr unsigned kExpLinkWidthShift = 4;       // PCI_EXP_LNKSTA_NLW_SHIFT (same in LNKCAP_MLW)
inline constexpr uint32_t kExpLnkctl = 0x10;            // PCI_EXP_LNKCTL
inline constexpr uint16_t kExpLnkctlAspmc = 0x0003;     // PCI_EXP_LNKCTL_ASPMC
inline constexpr uint16_t kExpLnkctlRcb = 0x0008;       // PCI_EXP_LNKCTL_RCB
inline constexpr uint16_t kExpLnkctlCcc = 0x0040;       // PCI_EXP_LNKCTL_CCC
inline constexpr uint16_t kExpLnkctlEs = 0x0080;        // PCI_EXP_LNKCTL_ES
inline constexpr uint32_t kExpLnksta = 0x12;            // PCI_EXP_LNKSTA
inline constexpr uint32_t kExpDevcap2 = 0x24;           // PCI_EXP_DEVCAP2
inline constexpr uint32_t kExpDevctl2 = 0x28;           // PCI_EXP_DEVCTL2
inline constexpr uint32_t kExpLnkcap2 = 0x2c;           // PCI_EXP_LNKCAP2
inline constexpr uint32_t kExpLnkcap2Sls2_5To8_0 = 0x0000000e; // PCI_EXP_LNKCAP2_SLS_2_5GB|5_0GB|8_0GB
inline constexpr uint32_t kExpLnkctl2 = 0x30;           // PCI_EXP_LNKCTL2
inline constexpr uint16_t kExpLnkctl2Tls = 0x000f;      // PCI_EXP_LNKCTL2_TLS

// ---- Extended capabilities (0x100..0xfff) -----------------------------------
inline constexpr uint32_t kExtCapIdMask = 0x0000ffff;   // PCI_EXT_CAP_ID(header)
inline constexpr unsigned kExtCapVerShift = 16;         // PCI_EXT_CAP_VER(header)
inline constexpr unsigned kExtCapNextShift = 20;        // PCI_EXT_CAP_NEXT(header)
inline constexpr uint32_t kExtCapNextMask = 0xffc;      // PCI_EXT_CAP_NEXT(header)
inline constexpr uint16_t kExtCapIdSriov = 0x0010;      // PCI_EXT_CAP_ID_SRIOV
inline constexpr uint16_t kExtCapIdAri = 0x000e;        // PCI_EXT_CAP_ID_ARI

// ---- SR-IOV extended capability --------------------------------------------
inline constexpr uint32_t kSriovSizeof = 0x40;          // PCI_EXT_CAP_SRIOV_SIZEOF
inline constexpr uint8_t kSriovCapVersion = 1;
inline constexpr uint32_t kSriovCap = 0x04;             // PCI_SRIOV_CAP
inline constexpr uint32_t kSriovCtrl = 0x08;            // PCI_SRIOV_CTRL
inline constexpr uint16_t kSriovCtrlVfe = 0x0001;       // PCI_SRIOV_CTRL_VFE (VF Enable)
inline constexpr uint16_t kSriovCtrlVfm = 0x0002;       // PCI_SRIOV_CTRL_VFM
inline constexpr uint16_t kSriovCtrlIntr = 0x0004;      // PCI_SRIOV_CTRL_INTR
inline constexpr uint16_t kSriovCtrlMse = 0x0008;       // PCI_SRIOV_CTRL_MSE (VF Memory Space Enable)
inline constexpr uint16_t kSriovCtrlAri = 0x0010;       // PCI_SRIOV_CTRL_ARI (ARI Capable Hierarchy)
inline constexpr uint32_t kSriovStatus = 0x0a;          // PCI_SRIOV_STATUS
inline constexpr uint32_t kSriovInitialVf = 0x0c;       // PCI_SRIOV_INITIAL_VF
inline constexpr uint32_t kSriovTotalVf = 0x0e;         // PCI_SRIOV_TOTAL_VF
inline constexpr uint32_t kSriovNumVf = 0x10;           // PCI_SRIOV_NUM_VF
inline constexpr uint32_t kSriovFuncLink = 0x12;        // PCI_SRIOV_FUNC_LINK
inline constexpr uint32_t kSriovVfOffset = 0x14;        // PCI_SRIOV_VF_OFFSET
inline constexpr uint32_t kSriovVfStride = 0x16;        // PCI_SRIOV_VF_STRIDE
inline constexpr uint32_t kSriovVfDid = 0x1a;           // PCI_SRIOV_VF_DID
inline constexpr uint32_t kSriovSupPgsize = 0x1c;       // PCI_SRIOV_SUP_PGSIZE
inline constexpr uint32_t kSriovSysPgsize = 0x20;       // PCI_SRIOV_SYS_PGSIZE
inline constexpr uint32_t kSriovBar = 0x24;             // PCI_SRIOV_BAR (VF BAR n at 0x24 + 4n)
inline constexpr uint32_t kSriovVfm = 0x3c;             // PCI_SRIOV_VFM
inline constexpr uint32_t kSriovPgsize4K = 0x1;         // page size bit n = 2^(n+12) bytes: bit 0 = 4 KiB

} // namespace aie4emu::pcie::regs
