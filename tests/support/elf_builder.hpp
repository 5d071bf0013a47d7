// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
/// \file
/// Builds minimal relocatable ELF images of kernel modules in memory, for all
/// four class/byte-order combinations, so no binary is ever checked in.
///
/// Section order in the built image (a section is present only when it has
/// contents, symbols, or was asked for with with_section()):
///
///   [0] null
///       sections added with add_section(..., first = true)
///       .modinfo  __ksymtab_strings  __kcrctab  __versions  .note.gnu.build-id
///       sections added with add_section(..., first = false)
///       .symtab  .strtab  .shstrtab
///
/// By default the file is laid out as ELF header, section contents, then the
/// section header table (what ld -r produces); headers_first() puts the table
/// right after the ELF header, followed by the .shstrtab contents and then the
/// other sections, so truncating the file only removes section contents.
///
/// ElfImage keeps the layout it was built with (offsets of every header field,
/// section header and section contents) so that a test can corrupt the bytes
/// precisely: lie about e_shoff, sh_size, st_name, ...  The recorded layout is
/// not updated by such writes.

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kmodx::test {

// ELF constants. Named kXxx rather than the <elf.h> names so that tests may
// include <elf.h> as well.
inline constexpr std::uint16_t kShnUndef = 0;
inline constexpr std::uint16_t kShnAbs = 0xfff1;
inline constexpr std::uint16_t kShnCommon = 0xfff2;

inline constexpr std::uint8_t kStbLocal = 0;
inline constexpr std::uint8_t kStbGlobal = 1;
inline constexpr std::uint8_t kStbWeak = 2;

inline constexpr std::uint8_t kSttNotype = 0;
inline constexpr std::uint8_t kSttObject = 1;
inline constexpr std::uint8_t kSttFunc = 2;
inline constexpr std::uint8_t kSttSparcRegister = 13;

inline constexpr std::uint32_t kShtProgbits = 1;
inline constexpr std::uint32_t kShtSymtab = 2;
inline constexpr std::uint32_t kShtStrtab = 3;
inline constexpr std::uint32_t kShtNote = 7;
inline constexpr std::uint32_t kShtNobits = 8;

inline constexpr std::uint64_t kShfAlloc = 0x2;

inline constexpr std::uint16_t kEmSparc = 2;
inline constexpr std::uint16_t kEm386 = 3;
inline constexpr std::uint16_t kEmPpc64 = 21;
inline constexpr std::uint16_t kEmArm = 40;
inline constexpr std::uint16_t kEmSparcv9 = 43;
inline constexpr std::uint16_t kEmX86_64 = 62;
inline constexpr std::uint16_t kEmAarch64 = 183;

inline constexpr std::uint32_t kNtGnuBuildId = 3;

/// One of the four flavours.
struct ElfFormat {
  bool is64;
  bool little;
  const char* name;
};

inline constexpr std::array<ElfFormat, 4> kAllElfFormats{{
    {false, true, "ELF32LE"},
    {false, false, "ELF32BE"},
    {true, true, "ELF64LE"},
    {true, false, "ELF64BE"},
}};

/// Where a field lives in the image: byte offset and width (1, 2, 4 or 8).
struct Field {
  std::size_t offset = 0;
  std::size_t width = 0;
};

enum class Ehdr {
  ei_class, ei_data, ei_version,
  e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, e_flags,
  e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx,
};

enum class Shdr {
  sh_name, sh_type, sh_flags, sh_addr, sh_offset, sh_size,
  sh_link, sh_info, sh_addralign, sh_entsize,
};

enum class Sym { st_name, st_value, st_size, st_info, st_other, st_shndx };

/// Field positions for a class (independent of any image).
Field ehdr_field(bool is64, Ehdr f);
Field shdr_field(bool is64, Shdr f);
Field sym_field(bool is64, Sym f);
inline std::size_t ehdr_size(bool is64) { return is64 ? 64 : 52; }
inline std::size_t shdr_size(bool is64) { return is64 ? 64 : 40; }
inline std::size_t sym_size(bool is64) { return is64 ? 24 : 16; }

/// Integer \p value written as \p width bytes in the given byte order.
std::string encode_uint(std::uint64_t value, std::size_t width, bool little);

std::vector<std::byte> to_bytes(std::string_view s);
std::string to_string(std::span<const std::byte> b);

/// A symbol table entry. The section index is \p shndx unless \p section
/// names a section, in which case it is the index of the first section of
/// that name in the built image.
struct Symbol {
  std::string name;
  std::uint64_t value = 0;
  std::uint64_t size = 0;
  std::uint8_t bind = kStbGlobal;
  std::uint8_t type = kSttNotype;
  std::uint16_t shndx = kShnUndef;
  std::string section{};
};

/// A section that is not one of the standard ones (or a second copy of one).
struct SectionSpec {
  std::string name;
  std::string contents{};
  std::uint32_t type = kShtProgbits;
  std::uint64_t flags = 0;
  /// For SHT_NOBITS: sh_size (no bytes in the file; sh_offset is where the
  /// section would start).
  std::uint64_t nobits_size = 0;
  /// Place before the standard sections (so that it wins a by-name lookup).
  bool first = false;
};

/// The appended module signature (see kmodx/signature.hpp). The length bytes
/// default to the real lengths; set the overrides to make them lie.
struct SignatureTrailer {
  std::uint8_t algo = 1;  ///< 0 = DSA, 1 = RSA
  std::uint8_t hash = 4;  ///< index into md4, md5, sha1, rmd160, sha256, ...
  std::uint8_t id_type = 2;  ///< 0 = PGP, 1 = X509, 2 = PKCS#7
  std::vector<std::uint8_t> signer;
  std::vector<std::uint8_t> key_id;
  std::vector<std::uint8_t> signature;
  std::optional<std::uint8_t> signer_len;
  std::optional<std::uint8_t> key_id_len;
  std::optional<std::uint32_t> sig_len;
  std::array<std::uint8_t, 3> pad{};
};

inline constexpr std::string_view kSignatureMagic = "~Module signature appended~\n";

/// Legacy trailer (id_type 0 or 1) carrying signer, key id and signature.
SignatureTrailer legacy_signature(std::uint8_t id_type, std::string_view signer,
                                  std::vector<std::uint8_t> key_id,
                                  std::vector<std::uint8_t> signature, std::uint8_t hash = 4);

/// PKCS#7 trailer (id_type 2, empty signer and key id) around a DER blob.
SignatureTrailer pkcs7_signature(std::span<const std::uint8_t> der);

/// Bytes of \p t: signer, key id, signature, 12-byte info block, magic.
std::vector<std::byte> encode_signature_trailer(const SignatureTrailer& t);
void append_signature(std::vector<std::byte>& image, const SignatureTrailer& t);

/// A built image plus the layout it was built with.
class ElfImage {
 public:
  bool is64() const { return is64_; }
  bool little() const { return little_; }

  std::vector<std::byte>& bytes() { return bytes_; }
  const std::vector<std::byte>& bytes() const { return bytes_; }
  std::span<const std::byte> span() const { return bytes_; }
  std::size_t size() const { return bytes_.size(); }

  /// Field of the ELF header.
  Field ehdr(Ehdr f) const { return ehdr_field(is64_, f); }

  /// Number of sections built (including the null section).
  std::size_t section_count() const { return sections_.size(); }
  /// Index of the first section named \p name, if any.
  std::optional<std::size_t> find_section(std::string_view name) const;
  /// Index of the first section named \p name; throws when absent.
  std::size_t section_index(std::string_view name) const;
  /// Offset of the section header of section \p index / named \p name.
  std::size_t section_header_offset(std::size_t index) const;
  std::size_t section_header_offset(std::string_view name) const;
  /// A field of a section header.
  Field shdr(std::size_t index, Shdr f) const;
  Field shdr(std::string_view name, Shdr f) const;
  /// File offset and size of a section's contents (as built).
  std::size_t section_offset(std::string_view name) const;
  std::size_t section_size(std::string_view name) const;
  /// Offset and size of the section header table.
  std::size_t shdr_table_offset() const { return shoff_; }
  std::size_t shdr_table_size() const { return sections_.size() * shdr_size(is64_); }

  /// Index in .symtab of the first symbol named \p name; throws when absent.
  std::size_t symbol_index(std::string_view name) const;
  /// A field of symbol table entry \p index.
  Field sym(std::size_t index, Sym f) const;
  Field sym(std::string_view name, Sym f) const { return sym(symbol_index(name), f); }

  /// Reads/writes an integer field in the image's byte order.
  std::uint64_t get(Field f) const;
  void set(Field f, std::uint64_t value);
  void set(Ehdr f, std::uint64_t value) { set(ehdr(f), value); }
  void set(std::string_view section, Shdr f, std::uint64_t value) { set(shdr(section, f), value); }
  std::uint64_t get(Ehdr f) const { return get(ehdr(f)); }
  std::uint64_t get(std::string_view section, Shdr f) const { return get(shdr(section, f)); }

  /// Overwrites bytes at \p offset.
  void put(std::size_t offset, std::string_view data);
  void truncate(std::size_t n) { if (n < bytes_.size()) bytes_.resize(n); }
  void append(std::span<const std::byte> data) { bytes_.insert(bytes_.end(), data.begin(), data.end()); }
  void append_signature(const SignatureTrailer& t) { kmodx::test::append_signature(bytes_, t); }

  /// Sorted, de-duplicated offsets where something starts or ends: the ELF
  /// header, the section header table, each section's contents.
  std::vector<std::size_t> boundaries() const;

 private:
  friend class ElfBuilder;
  struct Placed {
    std::string name;
    std::size_t header_offset;
    std::size_t offset;
    std::size_t size;
  };
  bool is64_ = true;
  bool little_ = true;
  std::vector<std::byte> bytes_;
  std::vector<Placed> sections_;
  std::vector<std::string> symbols_;  // index 0 is the null symbol
  std::size_t symtab_offset_ = 0;
  std::size_t shoff_ = 0;
};

class ElfBuilder {
 public:
  ElfBuilder(bool is64, bool little, std::uint16_t machine = kEmX86_64);
  explicit ElfBuilder(const ElfFormat& f, std::uint16_t machine = kEmX86_64)
      : ElfBuilder(f.is64, f.little, machine) {}

  /// Appends "key=value" (or any string) plus a NUL to `.modinfo`.
  ElfBuilder& modinfo(std::string_view entry);
  /// Appends a name plus NUL to `__ksymtab_strings`.
  ElfBuilder& ksymtab_string(std::string_view name);
  /// Appends a 64-byte `__versions` record: crc (u32 for ELF32, u64 for
  /// ELF64) then the name, NUL-padded; a name that fills or exceeds the field
  /// is cut to the field and has no NUL.
  ElfBuilder& version(std::string_view name, std::uint64_t crc);
  /// Sets `.note.gnu.build-id` to one note with \p desc as descriptor.
  ElfBuilder& build_id(std::span<const std::uint8_t> desc, std::string_view note_name = "GNU",
                       std::uint32_t type = kNtGnuBuildId);

  /// Replaces the raw contents of a standard section (creating it).
  ElfBuilder& set_contents(std::string_view section, std::string_view bytes);
  /// Makes a standard section present even when empty.
  ElfBuilder& with_section(std::string_view section);
  /// Leaves a standard section out even though it has contents (for example
  /// .strtab, to get a .symtab without names).
  ElfBuilder& without_section(std::string_view section);
  /// Adds a non-standard section.
  ElfBuilder& add_section(SectionSpec spec);

  /// Appends a symbol to `.symtab` (after the null symbol).
  ElfBuilder& symbol(Symbol s);
  /// An undefined (SHN_UNDEF) symbol.
  ElfBuilder& undefined(std::string_view name, std::uint8_t bind = kStbGlobal,
                        std::uint8_t type = kSttNotype);
  ElfBuilder& weak(std::string_view name) { return undefined(name, kStbWeak); }
  /// A defined global symbol in section \p section (absolute when empty).
  ElfBuilder& defined(std::string_view name, std::string_view section = {},
                      std::uint64_t value = 0);
  /// `__crc_<sym>` as an absolute symbol whose value is the CRC.
  ElfBuilder& export_abs_crc(std::string_view sym, std::uint64_t crc);
  /// `__crc_<sym>` pointing into `__kcrctab`, where the u32 CRC is appended.
  ElfBuilder& export_kcrctab_crc(std::string_view sym, std::uint32_t crc);
  /// `__crc_<sym>` pointing into `__kcrctab` at an arbitrary offset (nothing
  /// is appended to the section).
  ElfBuilder& export_kcrctab_offset(std::string_view sym, std::uint64_t offset);

  /// Puts the section header table right after the ELF header.
  ElfBuilder& headers_first(bool on = true);

  ElfImage build() const;

  bool is64() const { return is64_; }
  bool little() const { return little_; }

 private:
  struct Standard {
    std::string contents;
    bool forced = false;
    bool omitted = false;
  };
  Standard& standard(std::string_view name);
  const Standard* find_standard(std::string_view name) const;

  bool is64_;
  bool little_;
  std::uint16_t machine_;
  bool headers_first_ = false;
  std::vector<std::pair<std::string, Standard>> standard_;
  std::vector<SectionSpec> custom_;
  std::vector<Symbol> symbols_;
};

}  // namespace kmodx::test
