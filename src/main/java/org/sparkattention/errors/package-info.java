/** The one family of user-facing errors and their process exit codes. */
package org.sparkattention.errors;
