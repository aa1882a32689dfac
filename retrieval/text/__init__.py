"""Text as stored and shown, before any rule about English: article cleaning (`cleaning`), sentence
spans with offsets into the stored text (`sentences`), publication dates (`dates`) and the
numbered citation markers of an answer's text (`markers`)."""
