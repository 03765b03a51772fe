import COpenSSL

/// AES-256-GCM (one message per call): 12-byte nonce, 16-byte tag, optional associated data.
public enum AESGCM {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func seal(_ plaintext: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        precondition(key.count == 32 && nonce.count == 12, "AES-256-GCM needs a 32-byte key and a 12-byte nonce")
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure(description: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var len: Int32 = 0, total: Int32 = 0
        guard EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw Failure(description: "encrypt init failed") }
        if !aad.isEmpty { guard EVP_EncryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1 else { throw Failure(description: "aad failed") } }
        let ok = plaintext.isEmpty ? 1 : out.withUnsafeMutableBufferPointer { EVP_EncryptUpdate(ctx, $0.baseAddress, &len, plaintext, Int32(plaintext.count)) }
        guard ok == 1 else { throw Failure(description: "encrypt failed") }
        total = plaintext.isEmpty ? 0 : len
        let fin = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard fin == 1 else { throw Failure(description: "encrypt final failed") }
        total += len
        var tag = [UInt8](repeating: 0, count: 16)
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, &tag) == 1 else { throw Failure(description: "get tag failed") }
        return (Array(out[0..<Int(total)]), tag)
    }

    /// The plaintext, or a failure when the tag does not authenticate ciphertext and aad.
    public static func open(_ ciphertext: [UInt8], tag: [UInt8], key: [UInt8], nonce: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == 32, nonce.count == 12, tag.count == 16 else { throw Failure(description: "bad key, nonce or tag size") }
        guard let ctx = EVP_CIPHER_CTX_new() else { throw Failure(description: "EVP_CIPHER_CTX_new failed") }
        defer { EVP_CIPHER_CTX_free(ctx) }
        var out = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var len: Int32 = 0, total: Int32 = 0
        guard EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nil, key, nonce) == 1 else { throw Failure(description: "decrypt init failed") }
        if !aad.isEmpty { guard EVP_DecryptUpdate(ctx, nil, &len, aad, Int32(aad.count)) == 1 else { throw Failure(description: "aad failed") } }
        if !ciphertext.isEmpty {
            let ok = out.withUnsafeMutableBufferPointer { EVP_DecryptUpdate(ctx, $0.baseAddress, &len, ciphertext, Int32(ciphertext.count)) }
            guard ok == 1 else { throw Failure(description: "decrypt failed") }
            total = len
        }
        var t = tag
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, &t) == 1 else { throw Failure(description: "set tag failed") }
        let fin = out.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(total), &len) }
        guard fin == 1 else { throw Failure(description: "authentication failed: the data or its key is not the one sealed") }
        total += len
        return Array(out[0..<Int(total)])
    }
}
