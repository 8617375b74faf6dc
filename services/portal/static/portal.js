// The portal's only script of its own (no inline scripts: the CSP forbids them).
document.addEventListener("DOMContentLoaded", () => {
  const locate = document.getElementById("locate");
  if (!locate) return;
  const status = document.getElementById("locate-status");
  locate.addEventListener("click", () => {
    if (!navigator.geolocation) { status.textContent = "此浏览器不支持定位"; return; }
    status.textContent = "正在定位…";
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        document.getElementById("latitude").value = pos.coords.latitude.toFixed(6);
        document.getElementById("longitude").value = pos.coords.longitude.toFixed(6);
        status.textContent = "已获取当前位置";
      },
      () => { status.textContent = "未能获取位置（可手工填写）"; },
      { enableHighAccuracy: true, timeout: 10000 },
    );
  });
});
