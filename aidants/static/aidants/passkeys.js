// After a passkey is enrolled, show the page again (the new key in the list).
document.addEventListener("otp_webauthn.register_complete", () => {
  window.location.reload();
});
