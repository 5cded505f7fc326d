// The order screen's buyer editor (issue 15), merged into i18n.ts's `messages`.
export const buyerMessages = {
  ja: {
    "buyer.edit": "購入者情報を編集",
    "buyer.edit.title": "購入者情報の編集",
    "buyer.edit.hint": "変更は受注の変更履歴に残ります。空欄にした項目は消えます。ペイジェント側の決済情報は変わりません。",
    "buyer.postalCode": "郵便番号",
    "buyer.prefecture": "都道府県",
    "buyer.city": "市区町村",
    "buyer.line1": "番地",
    "buyer.line2": "建物名・部屋番号",
    "buyer.saved": "購入者情報を保存しました。",
    "buyer.unchanged": "変更はありませんでした。",
    "detail.source.shop_owner": "ショップで入力",
  },
  en: {
    "buyer.edit": "Edit buyer details",
    "buyer.edit.title": "Edit the buyer's details",
    "buyer.edit.hint": "The change is recorded in the order's history. An emptied box clears that detail. Paygent's payment record does not change.",
    "buyer.postalCode": "Postal code",
    "buyer.prefecture": "Prefecture",
    "buyer.city": "City",
    "buyer.line1": "Street address",
    "buyer.line2": "Building, room",
    "buyer.saved": "Buyer details saved.",
    "buyer.unchanged": "Nothing changed.",
    "detail.source.shop_owner": "Entered by the shop",
  },
} as const;
