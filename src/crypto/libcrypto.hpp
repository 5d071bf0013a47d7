// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once
// The libcrypto functions signature verification calls, bound on first use
// (util/shared_library.hpp). OpenSSL is told not to read openssl.cnf.
// Thread safety: the table is bound once, under a magic static.

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kmodx/result.hpp"
#include "util/shared_library.hpp"

namespace kmodx::crypto {

#define KMODX_VERIFY_CRYPTO_FUNCTIONS(X)                                                                   \
  X(ASN1_STRING_get0_data) X(ASN1_STRING_length) X(BIO_f_null) X(BIO_free) X(BIO_free_all) X(BIO_new) X(BIO_new_mem_buf) X(BIO_push) X(CMS_ContentInfo_free)  \
  X(CMS_SignerInfo_cert_cmp) X(CMS_SignerInfo_get0_algs) X(CMS_SignerInfo_get0_signer_id)               \
  X(CMS_get0_SignerInfos) X(CMS_is_detached) X(CMS_verify) X(ERR_clear_error) X(OBJ_nid2ln) X(OBJ_obj2nid)                 \
  X(OPENSSL_init_crypto) X(OPENSSL_sk_free) X(OPENSSL_sk_new_null) X(OPENSSL_sk_num) X(OPENSSL_sk_push)  \
  X(OPENSSL_sk_value) X(PEM_read_bio_X509) X(X509_ALGOR_get0) X(X509_NAME_ENTRY_get_data)               \
  X(X509_NAME_get_entry) X(X509_NAME_get_index_by_NID) X(X509_free) X(X509_get0_serialNumber)           \
  X(X509_get_subject_name) X(X509_NAME_cmp) X(d2i_CMS_ContentInfo) X(d2i_X509) X(X509_cmp)

struct CryptoApi {
  KMODX_VERIFY_CRYPTO_FUNCTIONS(KMODX_API_MEMBER)
};

/// The bound table, or ELIBACC when libcrypto cannot be loaded.
const Result<CryptoApi>& libcrypto();

}  // namespace kmodx::crypto
