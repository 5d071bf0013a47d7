// SPDX-License-Identifier: LGPL-2.1-or-later
#include "support/elf_builder.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace kmodx::test {

namespace {

// Standard sections in the order they are laid out (.shstrtab is always last).
constexpr std::array<std::string_view, 7> kStandardOrder{
    ".modinfo", "__ksymtab_strings", "__kcrctab", "__versions", ".note.gnu.build-id",
    ".symtab", ".strtab"};

bool is_standard(std::string_view name) {
  return std::find(kStandardOrder.begin(), kStandardOrder.end(), name) != kStandardOrder.end();
}

std::size_t align_up(std::size_t v, std::size_t a) { return (v + a - 1) / a * a; }

void write_uint(std::vector<std::byte>& out, std::size_t offset, std::size_t width,
                std::uint64_t value, bool little) {
  if (offset + width > out.size()) throw std::out_of_range("write_uint past end of image");
  for (std::size_t i = 0; i < width; ++i) {
    std::size_t shift = little ? i : width - 1 - i;
    out[offset + i] = static_cast<std::byte>((value >> (8 * shift)) & 0xff);
  }
}

}  // namespace

Field ehdr_field(bool is64, Ehdr f) {
  switch (f) {
    case Ehdr::ei_class: return {4, 1};
    case Ehdr::ei_data: return {5, 1};
    case Ehdr::ei_version: return {6, 1};
    case Ehdr::e_type: return {16, 2};
    case Ehdr::e_machine: return {18, 2};
    case Ehdr::e_version: return {20, 4};
    default: break;
  }
  if (is64) {
    switch (f) {
      case Ehdr::e_entry: return {24, 8};
      case Ehdr::e_phoff: return {32, 8};
      case Ehdr::e_shoff: return {40, 8};
      case Ehdr::e_flags: return {48, 4};
      case Ehdr::e_ehsize: return {52, 2};
      case Ehdr::e_phentsize: return {54, 2};
      case Ehdr::e_phnum: return {56, 2};
      case Ehdr::e_shentsize: return {58, 2};
      case Ehdr::e_shnum: return {60, 2};
      case Ehdr::e_shstrndx: return {62, 2};
      default: break;
    }
  } else {
    switch (f) {
      case Ehdr::e_entry: return {24, 4};
      case Ehdr::e_phoff: return {28, 4};
      case Ehdr::e_shoff: return {32, 4};
      case Ehdr::e_flags: return {36, 4};
      case Ehdr::e_ehsize: return {40, 2};
      case Ehdr::e_phentsize: return {42, 2};
      case Ehdr::e_phnum: return {44, 2};
      case Ehdr::e_shentsize: return {46, 2};
      case Ehdr::e_shnum: return {48, 2};
      case Ehdr::e_shstrndx: return {50, 2};
      default: break;
    }
  }
  throw std::logic_error("unknown ELF header field");
}

Field shdr_field(bool is64, Shdr f) {
  if (is64) {
    switch (f) {
      case Shdr::sh_name: return {0, 4};
      case Shdr::sh_type: return {4, 4};
      case Shdr::sh_flags: return {8, 8};
      case Shdr::sh_addr: return {16, 8};
      case Shdr::sh_offset: return {24, 8};
      case Shdr::sh_size: return {32, 8};
      case Shdr::sh_link: return {40, 4};
      case Shdr::sh_info: return {44, 4};
      case Shdr::sh_addralign: return {48, 8};
      case Shdr::sh_entsize: return {56, 8};
    }
  } else {
    switch (f) {
      case Shdr::sh_name: return {0, 4};
      case Shdr::sh_type: return {4, 4};
      case Shdr::sh_flags: return {8, 4};
      case Shdr::sh_addr: return {12, 4};
      case Shdr::sh_offset: return {16, 4};
      case Shdr::sh_size: return {20, 4};
      case Shdr::sh_link: return {24, 4};
      case Shdr::sh_info: return {28, 4};
      case Shdr::sh_addralign: return {32, 4};
      case Shdr::sh_entsize: return {36, 4};
    }
  }
  throw std::logic_error("unknown section header field");
}

Field sym_field(bool is64, Sym f) {
  if (is64) {
    switch (f) {
      case Sym::st_name: return {0, 4};
      case Sym::st_info: return {4, 1};
      case Sym::st_other: return {5, 1};
      case Sym::st_shndx: return {6, 2};
      case Sym::st_value: return {8, 8};
      case Sym::st_size: return {16, 8};
    }
  } else {
    switch (f) {
      case Sym::st_name: return {0, 4};
      case Sym::st_value: return {4, 4};
      case Sym::st_size: return {8, 4};
      case Sym::st_info: return {12, 1};
      case Sym::st_other: return {13, 1};
      case Sym::st_shndx: return {14, 2};
    }
  }
  throw std::logic_error("unknown symbol field");
}

std::string encode_uint(std::uint64_t value, std::size_t width, bool little) {
  std::string out(width, '\0');
  for (std::size_t i = 0; i < width; ++i) {
    std::size_t shift = little ? i : width - 1 - i;
    out[i] = static_cast<char>((value >> (8 * shift)) & 0xff);
  }
  return out;
}

std::vector<std::byte> to_bytes(std::string_view s) {
  std::vector<std::byte> out(s.size());
  if (!s.empty()) std::memcpy(out.data(), s.data(), s.size());
  return out;
}

std::string to_string(std::span<const std::byte> b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// ---- signature trailer ------------------------------------------------------

SignatureTrailer legacy_signature(std::uint8_t id_type, std::string_view signer,
                                  std::vector<std::uint8_t> key_id,
                                  std::vector<std::uint8_t> signature, std::uint8_t hash) {
  SignatureTrailer t;
  t.algo = 1;
  t.hash = hash;
  t.id_type = id_type;
  t.signer.assign(signer.begin(), signer.end());
  t.key_id = std::move(key_id);
  t.signature = std::move(signature);
  return t;
}

SignatureTrailer pkcs7_signature(std::span<const std::uint8_t> der) {
  SignatureTrailer t;
  t.algo = 0;  // sign-file writes zeros for everything but id_type and sig_len
  t.hash = 0;
  t.id_type = 2;
  t.signature.assign(der.begin(), der.end());
  return t;
}

std::vector<std::byte> encode_signature_trailer(const SignatureTrailer& t) {
  std::string out;
  out.append(t.signer.begin(), t.signer.end());
  out.append(t.key_id.begin(), t.key_id.end());
  out.append(t.signature.begin(), t.signature.end());
  out.push_back(static_cast<char>(t.algo));
  out.push_back(static_cast<char>(t.hash));
  out.push_back(static_cast<char>(t.id_type));
  out.push_back(static_cast<char>(t.signer_len.value_or(static_cast<std::uint8_t>(t.signer.size()))));
  out.push_back(static_cast<char>(t.key_id_len.value_or(static_cast<std::uint8_t>(t.key_id.size()))));
  for (std::uint8_t p : t.pad) out.push_back(static_cast<char>(p));
  out += encode_uint(t.sig_len.value_or(static_cast<std::uint32_t>(t.signature.size())), 4,
                     /*little=*/false);
  out += kSignatureMagic;
  return to_bytes(out);
}

void append_signature(std::vector<std::byte>& image, const SignatureTrailer& t) {
  std::vector<std::byte> tr = encode_signature_trailer(t);
  image.insert(image.end(), tr.begin(), tr.end());
}

// ---- ElfImage ---------------------------------------------------------------

std::optional<std::size_t> ElfImage::find_section(std::string_view name) const {
  for (std::size_t i = 1; i < sections_.size(); ++i)
    if (sections_[i].name == name) return i;
  return std::nullopt;
}

std::size_t ElfImage::section_index(std::string_view name) const {
  auto i = find_section(name);
  if (!i) throw std::invalid_argument("no section named " + std::string(name));
  return *i;
}

std::size_t ElfImage::section_header_offset(std::size_t index) const {
  if (index >= sections_.size()) throw std::out_of_range("section index");
  return sections_[index].header_offset;
}

std::size_t ElfImage::section_header_offset(std::string_view name) const {
  return section_header_offset(section_index(name));
}

Field ElfImage::shdr(std::size_t index, Shdr f) const {
  Field fl = shdr_field(is64_, f);
  fl.offset += section_header_offset(index);
  return fl;
}

Field ElfImage::shdr(std::string_view name, Shdr f) const { return shdr(section_index(name), f); }

std::size_t ElfImage::section_offset(std::string_view name) const {
  return sections_[section_index(name)].offset;
}

std::size_t ElfImage::section_size(std::string_view name) const {
  return sections_[section_index(name)].size;
}

std::size_t ElfImage::symbol_index(std::string_view name) const {
  for (std::size_t i = 1; i < symbols_.size(); ++i)
    if (symbols_[i] == name) return i;
  throw std::invalid_argument("no symbol named " + std::string(name));
}

Field ElfImage::sym(std::size_t index, Sym f) const {
  if (index >= symbols_.size()) throw std::out_of_range("symbol index");
  Field fl = sym_field(is64_, f);
  fl.offset += symtab_offset_ + index * sym_size(is64_);
  return fl;
}

std::uint64_t ElfImage::get(Field f) const {
  if (f.offset + f.width > bytes_.size()) throw std::out_of_range("field past end of image");
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < f.width; ++i) {
    std::size_t shift = little_ ? i : f.width - 1 - i;
    v |= std::uint64_t{std::to_integer<std::uint8_t>(bytes_[f.offset + i])} << (8 * shift);
  }
  return v;
}

void ElfImage::set(Field f, std::uint64_t value) {
  write_uint(bytes_, f.offset, f.width, value, little_);
}

void ElfImage::put(std::size_t offset, std::string_view data) {
  if (offset + data.size() > bytes_.size()) throw std::out_of_range("put past end of image");
  std::memcpy(bytes_.data() + offset, data.data(), data.size());
}

std::vector<std::size_t> ElfImage::boundaries() const {
  std::vector<std::size_t> b{0, ehdr_size(is64_), shoff_, shoff_ + shdr_table_size(),
                             bytes_.size()};
  for (std::size_t i = 1; i < sections_.size(); ++i) {
    b.push_back(sections_[i].offset);
    b.push_back(sections_[i].offset + sections_[i].size);
  }
  std::sort(b.begin(), b.end());
  b.erase(std::unique(b.begin(), b.end()), b.end());
  return b;
}

// ---- ElfBuilder -------------------------------------------------------------

ElfBuilder::ElfBuilder(bool is64, bool little, std::uint16_t machine)
    : is64_(is64), little_(little), machine_(machine) {}

ElfBuilder::Standard& ElfBuilder::standard(std::string_view name) {
  if (!is_standard(name))
    throw std::invalid_argument("not a standard section: " + std::string(name));
  for (auto& [n, s] : standard_)
    if (n == name) return s;
  standard_.emplace_back(std::string(name), Standard{});
  return standard_.back().second;
}

const ElfBuilder::Standard* ElfBuilder::find_standard(std::string_view name) const {
  for (const auto& [n, s] : standard_)
    if (n == name) return &s;
  return nullptr;
}

ElfBuilder& ElfBuilder::modinfo(std::string_view entry) {
  auto& s = standard(".modinfo");
  s.contents.append(entry);
  s.contents.push_back('\0');
  return *this;
}

ElfBuilder& ElfBuilder::ksymtab_string(std::string_view name) {
  auto& s = standard("__ksymtab_strings");
  s.contents.append(name);
  s.contents.push_back('\0');
  return *this;
}

ElfBuilder& ElfBuilder::version(std::string_view name, std::uint64_t crc) {
  const std::size_t crc_width = is64_ ? 8 : 4;
  std::string rec = encode_uint(crc, crc_width, little_);
  std::string field(64 - crc_width, '\0');
  std::memcpy(field.data(), name.data(), std::min(name.size(), field.size()));
  rec += field;
  standard("__versions").contents += rec;
  return *this;
}

ElfBuilder& ElfBuilder::build_id(std::span<const std::uint8_t> desc, std::string_view note_name,
                                 std::uint32_t type) {
  std::string note;
  const std::size_t namesz = note_name.size() + 1;
  note += encode_uint(namesz, 4, little_);
  note += encode_uint(desc.size(), 4, little_);
  note += encode_uint(type, 4, little_);
  std::string name(note_name);
  name.push_back('\0');
  name.resize(align_up(name.size(), 4), '\0');
  note += name;
  std::string d(desc.begin(), desc.end());
  d.resize(align_up(d.size(), 4), '\0');
  note += d;
  standard(".note.gnu.build-id").contents = note;
  return *this;
}

ElfBuilder& ElfBuilder::set_contents(std::string_view section, std::string_view bytes) {
  auto& s = standard(section);
  s.contents.assign(bytes);
  s.forced = true;
  return *this;
}

ElfBuilder& ElfBuilder::with_section(std::string_view section) {
  standard(section).forced = true;
  return *this;
}

ElfBuilder& ElfBuilder::without_section(std::string_view section) {
  standard(section).omitted = true;
  return *this;
}

ElfBuilder& ElfBuilder::add_section(SectionSpec spec) {
  custom_.push_back(std::move(spec));
  return *this;
}

ElfBuilder& ElfBuilder::symbol(Symbol s) {
  symbols_.push_back(std::move(s));
  return *this;
}

ElfBuilder& ElfBuilder::undefined(std::string_view name, std::uint8_t bind, std::uint8_t type) {
  return symbol(Symbol{.name = std::string(name), .bind = bind, .type = type,
                       .shndx = kShnUndef});
}

ElfBuilder& ElfBuilder::defined(std::string_view name, std::string_view section,
                                std::uint64_t value) {
  Symbol s{.name = std::string(name), .value = value, .bind = kStbGlobal, .type = kSttFunc,
           .shndx = kShnAbs, .section = std::string(section)};
  return symbol(std::move(s));
}

ElfBuilder& ElfBuilder::export_abs_crc(std::string_view sym, std::uint64_t crc) {
  return symbol(Symbol{.name = "__crc_" + std::string(sym), .value = crc, .bind = kStbGlobal,
                       .type = kSttNotype, .shndx = kShnAbs});
}

ElfBuilder& ElfBuilder::export_kcrctab_crc(std::string_view sym, std::uint32_t crc) {
  auto& s = standard("__kcrctab");
  const std::uint64_t offset = s.contents.size();
  s.contents += encode_uint(crc, 4, little_);
  return export_kcrctab_offset(sym, offset);
}

ElfBuilder& ElfBuilder::export_kcrctab_offset(std::string_view sym, std::uint64_t offset) {
  standard("__kcrctab").forced = true;
  return symbol(Symbol{.name = "__crc_" + std::string(sym), .value = offset, .size = 4,
                       .bind = kStbGlobal, .type = kSttObject, .section = "__kcrctab"});
}

ElfBuilder& ElfBuilder::headers_first(bool on) {
  headers_first_ = on;
  return *this;
}

ElfImage ElfBuilder::build() const {
  struct Sec {
    std::string name;
    std::uint32_t type = 0;
    std::uint64_t flags = 0;
    std::uint32_t link = 0;
    std::uint32_t info = 0;
    std::uint64_t align = 1;
    std::uint64_t entsize = 0;
    std::string contents{};
    std::optional<std::uint64_t> nobits_size{};
  };

  auto present = [&](std::string_view name) {
    const Standard* s = find_standard(name);
    if (name == ".symtab" || name == ".strtab") {
      if (s && s->omitted) return false;
      if (!symbols_.empty()) return true;
      if (name == ".strtab") {
        const Standard* sym = find_standard(".symtab");
        if (sym && sym->forced && !sym->omitted) return true;
      }
    }
    return s && !s->omitted && (s->forced || !s->contents.empty());
  };

  std::vector<Sec> secs;
  secs.push_back(Sec{});  // null section
  auto add_custom = [&](bool first) {
    for (const SectionSpec& c : custom_) {
      if (c.first != first) continue;
      Sec s;
      s.name = c.name;
      s.type = c.type;
      s.flags = c.flags;
      s.align = 1;
      if (c.type == kShtNobits)
        s.nobits_size = c.nobits_size;
      else
        s.contents = c.contents;
      secs.push_back(std::move(s));
    }
  };
  add_custom(true);
  for (std::string_view name : kStandardOrder) {
    if (name == ".symtab") add_custom(false);
    if (!present(name)) continue;
    Sec s;
    s.name = std::string(name);
    if (const Standard* st = find_standard(name)) s.contents = st->contents;
    if (name == ".symtab") {
      s.type = kShtSymtab;
      s.align = is64_ ? 8 : 4;
      s.entsize = sym_size(is64_);
    } else if (name == ".strtab") {
      s.type = kShtStrtab;
    } else if (name == ".note.gnu.build-id") {
      s.type = kShtNote;
      s.flags = kShfAlloc;
      s.align = 4;
    } else {
      s.type = kShtProgbits;
      s.flags = kShfAlloc;
      s.align = (name == "__versions" || name == "__kcrctab") ? (is64_ ? 8 : 4) : 1;
    }
    secs.push_back(std::move(s));
  }
  secs.push_back(Sec{.name = ".shstrtab", .type = kShtStrtab});

  auto index_of = [&](std::string_view name) -> std::optional<std::uint32_t> {
    for (std::size_t i = 1; i < secs.size(); ++i)
      if (secs[i].name == name) return static_cast<std::uint32_t>(i);
    return std::nullopt;
  };

  // Symbol and string tables. Custom contents given with set_contents()
  // replace the generated ones.
  std::vector<std::string> symnames{""};
  if (auto symtab = index_of(".symtab")) {
    std::string strtab(1, '\0');
    std::string symtab_bytes(sym_size(is64_), '\0');
    std::uint32_t locals = 1;
    bool only_locals_so_far = true;
    for (const Symbol& s : symbols_) {
      std::uint32_t name_off = 0;
      if (!s.name.empty()) {
        name_off = static_cast<std::uint32_t>(strtab.size());
        strtab += s.name;
        strtab.push_back('\0');
      }
      std::uint16_t shndx = s.shndx;
      if (!s.section.empty()) {
        auto idx = index_of(s.section);
        if (!idx) throw std::invalid_argument("symbol in missing section " + s.section);
        shndx = static_cast<std::uint16_t>(*idx);
      }
      std::vector<std::byte> ent(sym_size(is64_));
      auto put = [&](Sym f, std::uint64_t v) {
        Field fl = sym_field(is64_, f);
        write_uint(ent, fl.offset, fl.width, v, little_);
      };
      put(Sym::st_name, name_off);
      put(Sym::st_value, s.value);
      put(Sym::st_size, s.size);
      put(Sym::st_info, static_cast<std::uint64_t>((s.bind << 4) | (s.type & 0xf)));
      put(Sym::st_other, 0);
      put(Sym::st_shndx, shndx);
      symtab_bytes += to_string(ent);
      symnames.push_back(s.name);
      if (s.bind == kStbLocal && only_locals_so_far)
        ++locals;
      else
        only_locals_so_far = false;
    }
    Sec& st = secs[*symtab];
    const Standard* custom_symtab = find_standard(".symtab");
    if (!(custom_symtab && !custom_symtab->contents.empty())) st.contents = symtab_bytes;
    st.info = locals;
    if (auto strndx = index_of(".strtab")) {
      st.link = *strndx;
      const Standard* custom_strtab = find_standard(".strtab");
      if (!(custom_strtab && !custom_strtab->contents.empty())) secs[*strndx].contents = strtab;
    }
  }

  // Section name table.
  std::string shstrtab(1, '\0');
  std::vector<std::uint32_t> name_offsets(secs.size(), 0);
  for (std::size_t i = 1; i < secs.size(); ++i) {
    name_offsets[i] = static_cast<std::uint32_t>(shstrtab.size());
    shstrtab += secs[i].name;
    shstrtab.push_back('\0');
  }
  secs.back().contents = shstrtab;

  // Layout.
  const std::size_t ehsize = ehdr_size(is64_);
  const std::size_t shentsize = shdr_size(is64_);
  const std::size_t table_size = secs.size() * shentsize;
  std::size_t cursor = ehsize;
  std::size_t shoff = 0;
  if (headers_first_) {
    shoff = align_up(cursor, 8);
    cursor = shoff + table_size;
  }
  std::vector<std::size_t> offsets(secs.size(), 0);
  // With the table first, the name table comes next, so that cutting the
  // file anywhere after it leaves a parseable image.
  std::vector<std::size_t> order;
  if (headers_first_) order.push_back(secs.size() - 1);
  for (std::size_t i = 1; i < secs.size(); ++i)
    if (!(headers_first_ && i == secs.size() - 1)) order.push_back(i);
  for (std::size_t i : order) {
    cursor = align_up(cursor, std::max<std::uint64_t>(secs[i].align, 1));
    offsets[i] = cursor;
    cursor += secs[i].contents.size();
  }
  if (!headers_first_) {
    shoff = align_up(cursor, 8);
    cursor = shoff + table_size;
  }

  ElfImage img;
  img.is64_ = is64_;
  img.little_ = little_;
  img.shoff_ = shoff;
  img.symbols_ = symnames;
  img.bytes_.assign(cursor, std::byte{0});

  // ELF header.
  const char ident[] = {0x7f, 'E', 'L', 'F'};
  std::memcpy(img.bytes_.data(), ident, 4);
  img.set(Ehdr::ei_class, is64_ ? 2 : 1);
  img.set(Ehdr::ei_data, little_ ? 1 : 2);
  img.set(Ehdr::ei_version, 1);
  img.set(Ehdr::e_type, 1);  // ET_REL
  img.set(Ehdr::e_machine, machine_);
  img.set(Ehdr::e_version, 1);
  img.set(Ehdr::e_shoff, shoff);
  img.set(Ehdr::e_ehsize, ehsize);
  img.set(Ehdr::e_shentsize, shentsize);
  img.set(Ehdr::e_shnum, secs.size());
  img.set(Ehdr::e_shstrndx, secs.size() - 1);

  // Contents and section headers.
  for (std::size_t i = 0; i < secs.size(); ++i) {
    const Sec& s = secs[i];
    const std::size_t hdr = shoff + i * shentsize;
    const std::uint64_t size = s.nobits_size ? *s.nobits_size : s.contents.size();
    img.sections_.push_back(ElfImage::Placed{s.name, hdr, offsets[i], static_cast<std::size_t>(size)});
    if (i == 0) continue;
    if (!s.contents.empty())
      std::memcpy(img.bytes_.data() + offsets[i], s.contents.data(), s.contents.size());
    img.set(img.shdr(i, Shdr::sh_name), name_offsets[i]);
    img.set(img.shdr(i, Shdr::sh_type), s.type);
    img.set(img.shdr(i, Shdr::sh_flags), s.flags);
    img.set(img.shdr(i, Shdr::sh_offset), offsets[i]);
    img.set(img.shdr(i, Shdr::sh_size), size);
    img.set(img.shdr(i, Shdr::sh_link), s.link);
    img.set(img.shdr(i, Shdr::sh_info), s.info);
    img.set(img.shdr(i, Shdr::sh_addralign), s.align);
    img.set(img.shdr(i, Shdr::sh_entsize), s.entsize);
  }
  if (auto symtab = index_of(".symtab")) img.symtab_offset_ = offsets[*symtab];
  return img;
}

}  // namespace kmodx::test
