// Every backend call passes through here: one place to see what the UI asks of Rust.
// The types and command wrappers come from the generated bindings (never edited by hand).
import { commands } from "../bindings";
import { open as openFileDialog, save as saveFileDialog } from "@tauri-apps/plugin-dialog";
import type {
  AppError,
  AppInfo,
  ConnectionTestInput,
  ConnectionTestResult,
  CredentialsInput,
  BuyerDetailsInput,
  DemoStatus,
  GuideGatewayResult,
  GuideMailResult,
  GuideNotificationsInput,
  GuideNotificationsResult,
  SetupGuide,
  SmtpSettingsInput,
  ExportReport,
  HomeSummary,
  ImportPreview,
  ImportRecord,
  ImportReport,
  KeychainStatus,
  Language,
  OperationRequest,
  OperationResult,
  OrderDetail,
  OrderListCode,
  OrderPage,
  OrderQuery,
  Settings,
  SettingsInput,
  SyncReport,
  SyncStatus,
  Target,
  UndoImportReport,
} from "../bindings";

import type {
  BulkConfirmation,
  BulkOperationLog,
  BulkRunDetail,
  BulkSelectAll,
  UnprocessedPage,
  UnprocessedQuery,
} from "../bindings";

export type * from "../bindings";

/** Thrown by the wrappers below when a command returns its AppError. */
export class CommandError extends Error {
  constructor(public readonly error: AppError) {
    super(`${error.code}: ${error.message.en}`);
  }
}

type Result<T> = { status: "ok"; data: T } | { status: "error"; error: AppError };

function unwrap<T>(result: Result<T>): T {
  if (result.status === "error") throw new CommandError(result.error);
  return result.data;
}

export const api = {
  appInfo: (): Promise<AppInfo> => commands.appInfo(),
  firstPaint: (): Promise<void> => commands.firstPaint(),
  takeNotificationClick: (): Promise<Target | null> => commands.takeNotificationClick(),
  keychainStatus: (): Promise<KeychainStatus> => commands.keychainStatus(),
  setLanguage: async (language: Language): Promise<Language> => unwrap(await commands.setLanguage(language)),

  listOrders: async (query: OrderQuery): Promise<OrderPage> => unwrap(await commands.listOrders(query)),
  getOrder: async (orderId: number): Promise<OrderDetail> => unwrap(await commands.getOrder(orderId)),
  moveOrder: async (orderId: number, list: OrderListCode): Promise<OrderDetail> =>
    unwrap(await commands.moveOrder(orderId, list)),
  /** The buyer's details edited on the order (recorded in its history). */
  editBuyerDetails: async (orderId: number, input: BuyerDetailsInput): Promise<OrderDetail> =>
    unwrap(await commands.editBuyerDetails(orderId, input)),
  acknowledgeOutsideChange: async (orderId: number): Promise<OrderDetail> =>
    unwrap(await commands.acknowledgeOutsideChange(orderId)),
  refreshOrder: async (orderId: number): Promise<OrderDetail> => unwrap(await commands.refreshOrder(orderId)),
  performOperation: async (orderId: number, request: OperationRequest): Promise<OperationResult> =>
    unwrap(await commands.performOperation(orderId, request)),

  homeSummary: async (): Promise<HomeSummary> => unwrap(await commands.homeSummary()),
  syncStatus: async (): Promise<SyncStatus> => unwrap(await commands.syncStatus()),
  syncNow: async (): Promise<SyncReport> => unwrap(await commands.syncNow()),

  getSettings: async (): Promise<Settings> => unwrap(await commands.getSettings()),
  saveSettings: async (input: SettingsInput): Promise<Settings> => unwrap(await commands.saveSettings(input)),
  saveCredentials: async (input: CredentialsInput): Promise<Settings> => unwrap(await commands.saveCredentials(input)),
  /** Tests `form` (the screen's values, unsaved) over the saved settings. */
  testConnection: async (form: ConnectionTestInput | null): Promise<ConnectionTestResult> =>
    unwrap(await commands.testConnection(form)),

  // The storefront import: preview (writes nothing), apply exactly that preview (its
  // token), list and undo applied imports.
  previewOrdersImport: async (path: string, clearEmpty: boolean): Promise<ImportPreview> =>
    unwrap(await commands.previewOrdersImport(path, clearEmpty)),
  importOrdersCsv: async (path: string, clearEmpty: boolean, token: string): Promise<ImportReport> =>
    unwrap(await commands.importOrdersCsv(path, clearEmpty, token)),
  undoOrdersImport: async (importId: number): Promise<UndoImportReport> => unwrap(await commands.undoOrdersImport(importId)),
  ordersImports: async (): Promise<ImportRecord[]> => unwrap(await commands.ordersImports()),
  exportOrdersCsv: async (path: string, query: OrderQuery): Promise<ExportReport> =>
    unwrap(await commands.exportOrdersCsv(path, query)),

  demoStatus: async (): Promise<DemoStatus | null> => unwrap(await commands.demoStatus()),

  // The setup guide: each step is tested by the backend and saved only when it passed.
  setupGuide: async (): Promise<SetupGuide> => unwrap(await commands.setupGuide()),
  openSetupGuide: async (): Promise<SetupGuide> => unwrap(await commands.openSetupGuide()),
  skipSetupGuide: async (): Promise<SetupGuide> => unwrap(await commands.skipSetupGuide()),
  guideGateway: async (input: ConnectionTestInput): Promise<GuideGatewayResult> =>
    unwrap(await commands.guideGateway(input)),
  guideNotifications: async (input: GuideNotificationsInput): Promise<GuideNotificationsResult> =>
    unwrap(await commands.guideNotifications(input)),
  guideMail: async (input: SmtpSettingsInput | null): Promise<GuideMailResult> => unwrap(await commands.guideMail(input)),
  finishSetupGuide: async (): Promise<SetupGuide> => unwrap(await commands.finishSetupGuide()),
  /** The relay's operator guide (its README), shipped inside the app. */
  relayGuide: (): Promise<string> => commands.relayGuide(),
  /** Starts PayDesk again as the demo; this window closes. */
  openDemo: async (): Promise<null> => unwrap(await commands.openDemo()),
  /** Starts PayDesk again as the shop; the demo's window closes. */
  leaveDemo: async (): Promise<null> => unwrap(await commands.leaveDemo()),

  // Bulk capture (売上確定一括処理).
  bulkUnprocessed: async (query: UnprocessedQuery): Promise<UnprocessedPage> =>
    unwrap(await commands.bulkUnprocessed(query)),
  bulkSelectAll: async (query: UnprocessedQuery): Promise<BulkSelectAll> => unwrap(await commands.bulkSelectAll(query)),
  bulkConfirm: async (orderIds: number[]): Promise<BulkConfirmation> => unwrap(await commands.bulkConfirm(orderIds)),
  bulkStart: async (orderIds: number[]): Promise<BulkRunDetail> => unwrap(await commands.bulkStart(orderIds)),
  bulkOperationLog: async (): Promise<BulkOperationLog> => unwrap(await commands.bulkOperationLog()),
  bulkRunDetail: async (runId: number): Promise<BulkRunDetail> => unwrap(await commands.bulkRunDetail(runId)),
};

// Subscriptions, the card dashboard, e-mail and notifications (定期購入).
import type * as S from "../bindings";

export const subsApi = {
  list: async (query: S.SubscriptionQuery): Promise<S.SubscriptionPage> =>
    unwrap(await commands.listSubscriptions(query)),
  get: async (id: number): Promise<S.SubscriptionDetail> => unwrap(await commands.getSubscription(id)),
  update: async (id: number, input: S.SubscriptionInput): Promise<S.SubscriptionDetail> =>
    unwrap(await commands.updateSubscription(id, input)),
  createFromOrder: async (orderId: number, cycle: string): Promise<S.SubscriptionSummary> =>
    unwrap(await commands.createSubscriptionFromOrder(orderId, cycle)),
  importCsv: async (path: string, allOrNothing: boolean): Promise<S.SubscriptionImportReport> =>
    unwrap(await commands.importSubscriptionsCsv(path, allOrNothing)),
  refreshCard: async (id: number): Promise<S.SubscriptionSummary> => unwrap(await commands.refreshCard(id)),
  refreshAllCards: async (): Promise<number> => unwrap(await commands.refreshAllCards()),
  runDueRenewals: async (): Promise<S.RenewalRunReport> => unwrap(await commands.runDueRenewals()),
  dashboard: async (): Promise<S.CardDashboardDto> => unwrap(await commands.cardDashboard()),
  failedRenewal: async (orderId: number): Promise<S.FailedRenewalDto | null> =>
    unwrap(await commands.failedRenewal(orderId)),
  chooseFailedRenewal: async (orderId: number, input: S.FailedRenewalChoiceInput): Promise<S.FailedRenewalDto> =>
    unwrap(await commands.chooseFailedRenewal(orderId, input)),
  undoFailedRenewalChoice: async (orderId: number, input: S.UndoChoiceInput): Promise<S.FailedRenewalDto> =>
    unwrap(await commands.undoFailedRenewalChoice(orderId, input)),
  reopen: async (id: number): Promise<S.SubscriptionDetail> => unwrap(await commands.reopenSubscription(id)),
  mailReadiness: async (): Promise<S.MailReadinessDto> => unwrap(await commands.mailReadiness()),
  smtpSettings: async (): Promise<S.SmtpSettingsDto> => unwrap(await commands.smtpSettings()),
  saveSmtpSettings: async (input: S.SmtpSettingsInput): Promise<S.SmtpSettingsDto> =>
    unwrap(await commands.saveSmtpSettings(input)),
  /** Tests `form` (the screen's SMTP values, unsaved) over the saved settings. */
  testSmtp: async (form: S.SmtpSettingsInput | null): Promise<S.SmtpTestResult> =>
    unwrap(await commands.testSmtp(form)),
  template: async (kind: S.ReminderKindCode, language: string): Promise<S.EmailTemplateDto> =>
    unwrap(await commands.emailTemplate(kind, language)),
  saveTemplate: async (input: S.EmailTemplateInput): Promise<S.EmailTemplateDto> =>
    unwrap(await commands.saveEmailTemplate(input)),
  resetTemplate: async (kind: S.ReminderKindCode, language: string): Promise<S.EmailTemplateDto> =>
    unwrap(await commands.resetEmailTemplate(kind, language)),
  preview: async (
    id: number,
    kind: S.ReminderKindCode | null,
    subject: string | null,
    body: string | null,
  ): Promise<S.MailPreview> => unwrap(await commands.previewReminder(id, kind, subject, body)),
  sendReminders: async (request: S.SendRemindersRequest): Promise<S.SendRemindersReport> =>
    unwrap(await commands.sendReminders(request)),
  mails: async (state: string | null): Promise<S.QueuedMailDto[]> => unwrap(await commands.listMails(state)),
  retryMail: async (id: number): Promise<S.MailRunReport> => unwrap(await commands.retryMail(id)),
  discardMail: async (id: number): Promise<S.QueuedMailDto[]> => unwrap(await commands.discardMail(id)),
  sendMailQueue: async (): Promise<S.MailRunReport> => unwrap(await commands.sendMailQueue()),
  sendMonthlySummaryNow: async (): Promise<S.MailRunReport> => unwrap(await commands.sendMonthlySummaryNow()),
  notificationPreferences: async (): Promise<S.NotificationPreferencesDto> =>
    unwrap(await commands.notificationPreferences()),
  saveNotificationPreferences: async (p: S.NotificationPreferencesDto): Promise<S.NotificationPreferencesDto> =>
    unwrap(await commands.saveNotificationPreferences(p)),
};

// The shop's documents (PDF) and the deposit check (入金チェック), issue 20.
export const docsApi = {
  shopDetails: async (): Promise<S.ShopDetails> => unwrap(await commands.shopDetails()),
  saveShopDetails: async (input: S.ShopDetailsInput): Promise<S.ShopDetails> =>
    unwrap(await commands.saveShopDetails(input)),
  /** Sets the logo or seal from a PNG file; `null` removes it. */
  setShopImage: async (which: S.ShopImageCode, path: string | null): Promise<S.ShopDetails> =>
    unwrap(await commands.setShopImage(which, path)),
  issue: async (request: S.IssueDocumentsRequest): Promise<S.DocumentsReport> =>
    unwrap(await commands.issueDocuments(request)),
  markDeposit: async (orderId: number, input: S.DepositCheckInput): Promise<S.OrderDetail> =>
    unwrap(await commands.markDeposit(orderId, input)),
  undoDeposit: async (orderId: number): Promise<S.OrderDetail> => unwrap(await commands.undoDeposit(orderId)),
};

// The system's file dialogs (tauri-plugin-dialog). They only return a path: the backend
// reads or writes the file, so the window needs no file-system permission.
export const files = {
  /** The path the shop owner chose, or null when the dialog was cancelled. */
  choose: async (title: string, filter: { name: string; extensions: string[] }): Promise<string | null> => {
    const picked = await openFileDialog({ title, multiple: false, directory: false, filters: [filter] });
    return typeof picked === "string" ? picked : null;
  },
  /** Where to write a new file ("Save as"), or null when the dialog was cancelled. */
  saveAs: async (
    title: string,
    filter: { name: string; extensions: string[] },
    defaultPath?: string,
  ): Promise<string | null> => (await saveFileDialog({ title, filters: [filter], defaultPath })) ?? null,
};

// Money in (issue 21): sales per day or month, the movements behind a cell, the accounting
// account names and the journal export.
export const moneyApi = {
  sales: async (query: S.SalesQuery): Promise<S.SalesReport> => unwrap(await commands.salesReport(query)),
  movements: async (query: S.MovementsQuery): Promise<S.MovementList> => unwrap(await commands.salesMovements(query)),
  accountingSettings: async (): Promise<S.AccountingSettings> => unwrap(await commands.accountingSettings()),
  saveAccountingSettings: async (input: S.AccountingSettings): Promise<S.AccountingSettings> =>
    unwrap(await commands.saveAccountingSettings(input)),
  exportJournal: async (path: string, format: S.AccountingFormatCode, month: string): Promise<S.JournalExportReport> =>
    unwrap(await commands.exportJournal(path, format, month)),
  settlementContracts: async (): Promise<S.SettlementContract[]> => unwrap(await commands.settlementContracts()),
  saveSettlementContract: async (input: S.SettlementContractInput): Promise<S.SettlementContract> =>
    unwrap(await commands.saveSettlementContract(input)),
  expectedDeposits: async (query: S.ExpectedDepositsQuery): Promise<S.ExpectedDepositsReport> =>
    unwrap(await commands.expectedDeposits(query)),
  recordDeposit: async (input: S.DepositInput): Promise<S.ReconciledDeposit> => unwrap(await commands.recordDeposit(input)),
  reconciliation: async (query: S.ExpectedDepositsQuery): Promise<S.ReconciliationReport> =>
    unwrap(await commands.reconciliation(query)),
};

// Fulfilment (issue 20): shipping-label files and tracking numbers. Capture on shipment
// is the bulk capture with `shipped_only`.
export const shippingApi = {
  labelSettings: async (): Promise<S.LabelSettingsDto_Serialize> => unwrap(await commands.labelSettings()),
  exportLabels: async (path: string, request: S.LabelExportRequest_Deserialize): Promise<S.LabelExportReport_Serialize> =>
    unwrap(await commands.exportLabels(path, request)),
  orderTracking: async (orderId: number): Promise<S.TrackingDto[]> => unwrap(await commands.orderTracking(orderId)),
  addTracking: async (input: S.TrackingInput): Promise<S.TrackingDto[]> => unwrap(await commands.addTracking(input)),
  importTracking: async (path: string, carrier: S.CarrierCode): Promise<S.TrackingImportReport_Serialize> =>
    unwrap(await commands.importTracking(path, carrier)),
  /** Opens the carrier's tracking page in the system browser. */
  openTrackingPage: async (carrier: S.CarrierCode, trackingNumber: string): Promise<null> =>
    unwrap(await commands.openTrackingPage(carrier, trackingNumber)),
};
