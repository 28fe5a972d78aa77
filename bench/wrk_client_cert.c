/* LD_PRELOAD shim for wrk, which has no client-certificate option: every SSL_CTX it makes gets the
 * certificate chain and key named by WRK_CLIENT_CERT and WRK_CLIENT_KEY, so the load runs over mutual
 * TLS like a real registry client. Built by the bench scripts with cc (bench/wrk.sh). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <openssl/ssl.h>

SSL_CTX *SSL_CTX_new(const SSL_METHOD *method) {
  static SSL_CTX *(*real)(const SSL_METHOD *) = NULL;
  if (!real) real = (SSL_CTX * (*)(const SSL_METHOD *)) dlsym(RTLD_NEXT, "SSL_CTX_new");
  SSL_CTX *ctx = real(method);
  const char *cert = getenv("WRK_CLIENT_CERT");
  const char *key = getenv("WRK_CLIENT_KEY");
  if (ctx && cert && key) {
    /* A load run without the certificate would measure refusals: fail loudly instead. */
    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
      fprintf(stderr, "wrk_client_cert: cannot load %s / %s\n", cert, key);
      exit(2);
    }
  }
  return ctx;
}
